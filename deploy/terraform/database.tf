# Cloud SQL for PostgreSQL: private IP only, backups with point-in-time recovery.
resource "google_sql_database_instance" "main" {
  name                = var.name
  region              = var.region
  database_version    = var.postgres_version
  deletion_protection = true
  depends_on          = [google_service_networking_connection.sql]

  settings {
    tier              = var.database_tier
    availability_type = var.database_high_availability ? "REGIONAL" : "ZONAL"
    ip_configuration {
      ipv4_enabled    = false
      private_network = google_compute_network.main.id
    }
    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }
  }
}

resource "google_sql_database" "main" {
  name     = "digital_enterprise"
  instance = google_sql_database_instance.main.name
}

resource "random_password" "database" {
  length  = 32
  special = false
}

resource "google_sql_user" "main" {
  name     = "digital_enterprise"
  instance = google_sql_database_instance.main.name
  password = random_password.database.result
}
