# Production: JWT auth (e.g. Cognito), alarms by e-mail, protected table.
name   = "green-screen-remover"
region = "eu-central-1"
auth = {
  type         = "jwt"
  jwt_issuer   = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_EXAMPLE"
  jwt_audience = ["example-app-client-id"]
}
worker_memory_mb            = 6144
worker_reserved_concurrency = 20
alarm_email                 = "platform-alerts@example.com"
cors_allowed_origins        = ["https://app.example.com"]
tags = {
  Environment = "prod"
}
