# GKE: a regional cluster, VPC-native, with one node pool.
resource "google_container_cluster" "main" {
  name     = var.name
  location = var.region

  network    = google_compute_network.main.id
  subnetwork = google_compute_subnetwork.main.id
  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = true

  release_channel {
    channel = "REGULAR"
  }
}

resource "google_container_node_pool" "main" {
  name       = "${var.name}-pool"
  cluster    = google_container_cluster.main.id
  location   = var.region
  node_count = var.node_count

  node_config {
    machine_type = var.node_machine_type
    oauth_scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    shielded_instance_config {
      enable_secure_boot = true
    }
  }
}
