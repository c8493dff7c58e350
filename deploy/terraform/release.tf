# The chart's release. Its secrets (JWT secret, master key, database URL, admin password) are
# made here into one Secret the chart reads (secrets.existingSecret, database.existingSecret,
# admin.existingSecret): nothing secret passes through the chart's values.
resource "kubernetes_namespace" "main" {
  metadata {
    name = var.namespace
  }
}

resource "random_password" "jwt_secret" {
  length  = 48
  special = false
}

resource "random_password" "master_key" {
  length  = 48
  special = false
}

resource "kubernetes_secret" "keys" {
  metadata {
    name      = "${var.name}-keys"
    namespace = kubernetes_namespace.main.metadata[0].name
  }
  data = {
    "jwt-secret"     = random_password.jwt_secret.result
    "master-key"     = random_password.master_key.result
    "database-url"   = "postgres://${google_sql_user.main.name}:${random_password.database.result}@${google_sql_database_instance.main.private_ip_address}:5432/${google_sql_database.main.name}"
    "admin-password" = var.admin_password
  }
}

resource "helm_release" "main" {
  name      = var.name
  namespace = kubernetes_namespace.main.metadata[0].name
  chart     = var.chart_path
  wait      = true
  timeout   = 600

  values = [yamlencode({
    fullnameOverride = var.name
    image = {
      repository = var.image_repository
      tag        = var.image_tag
      pullPolicy = "IfNotPresent"
    }
    secrets  = { existingSecret = kubernetes_secret.keys.metadata[0].name }
    database = { existingSecret = kubernetes_secret.keys.metadata[0].name, existingSecretKey = "database-url" }
    admin = {
      email             = var.admin_email
      existingSecret    = kubernetes_secret.keys.metadata[0].name
      existingSecretKey = "admin-password"
    }
    autoscaling    = { enabled = true, minReplicas = var.replicas_min, maxReplicas = var.replicas_max, targetCPUUtilizationPercentage = 70 }
    ingress        = { enabled = var.hostname != "", host = var.hostname != "" ? var.hostname : "digital-enterprise.example.com" }
    serviceMonitor = { enabled = var.service_monitor }
  })]
}
