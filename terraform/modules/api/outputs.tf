output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_url" {
  description = "Base URL of the API (the custom domain when one is set)."
  value       = var.custom_domain == null ? aws_apigatewayv2_api.this.api_endpoint : "https://${var.custom_domain.domain_name}"
}

output "stage_name" {
  description = "Name of the stage ($default)."
  value       = aws_apigatewayv2_stage.default.name
}

output "custom_domain_target" {
  description = "Regional domain name to alias the custom domain to (null without one)."
  value       = var.custom_domain == null ? null : aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name
}
