output "cluster_name" {
  description = "The GKE cluster (gcloud container clusters get-credentials NAME --region REGION)."
  value       = google_container_cluster.main.name
}

output "database_instance" {
  description = "The Cloud SQL instance's connection name."
  value       = google_sql_database_instance.main.connection_name
}

output "namespace" {
  description = "Namespace of the release."
  value       = helm_release.main.namespace
}

output "url" {
  description = "Where the dashboard is served (empty without a hostname: use kubectl port-forward)."
  value       = var.hostname != "" ? "https://${var.hostname}/" : ""
}
