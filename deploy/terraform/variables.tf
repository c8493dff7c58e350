variable "project_id" {
  description = "Google Cloud project to create everything in."
  type        = string
}

variable "region" {
  description = "Region of the cluster, the database and the network."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Prefix of every resource's name (cluster, database instance, network)."
  type        = string
  default     = "digital-enterprise"
}

variable "node_machine_type" {
  description = "Machine type of the cluster's nodes. Each Digital Enterprise pod requests 250m CPU and 128 MiB (limit 512 MiB): docs/performance.md."
  type        = string
  default     = "e2-standard-2"
}

variable "node_count" {
  description = "Nodes per zone of the cluster's node pool (the region has three zones)."
  type        = number
  default     = 1
}

variable "database_tier" {
  description = "Cloud SQL machine tier of the PostgreSQL instance."
  type        = string
  default     = "db-custom-2-7680"
}

variable "database_high_availability" {
  description = "A standby in another zone (REGIONAL) or none (ZONAL)."
  type        = bool
  default     = true
}

variable "postgres_version" {
  description = "Cloud SQL PostgreSQL version."
  type        = string
  default     = "POSTGRES_15"
}

variable "chart_path" {
  description = "The Helm chart: this repository's deploy/helm/digital-enterprise, or a packaged chart (.tgz) from the release pipeline."
  type        = string
  default     = "../helm/digital-enterprise"
}

variable "image_repository" {
  description = "Container image of the server (the release pipeline pushes it on tags)."
  type        = string
  default     = "ghcr.io/digital-enterprise/digital-enterprise"
}

variable "image_tag" {
  description = "Image tag to run, a released version."
  type        = string
  default     = "0.1.0"
}

variable "replicas_min" {
  description = "Fewest pods the autoscaler keeps (the PodDisruptionBudget keeps all but one of them during voluntary disruptions)."
  type        = number
  default     = 3
}

variable "replicas_max" {
  description = "Most pods the autoscaler may run."
  type        = number
  default     = 10
}

variable "hostname" {
  description = "Host name of the dashboard and API on the ingress; empty: no ingress (reach it with kubectl port-forward)."
  type        = string
  default     = ""
}

variable "admin_email" {
  description = "Email of the first admin, created by the first pod on the empty database."
  type        = string
  default     = "admin@example.com"
}

variable "admin_password" {
  description = "Password of the first admin (the password policy of docs/security.md: at least 12 characters, not a common one). Sensitive: it is kept in the Terraform state."
  type        = string
  sensitive   = true
}

variable "namespace" {
  description = "Kubernetes namespace of the release."
  type        = string
  default     = "digital-enterprise"
}

variable "service_monitor" {
  description = "Create the chart's ServiceMonitor (needs the Prometheus operator's CRDs in the cluster)."
  type        = bool
  default     = false
}
