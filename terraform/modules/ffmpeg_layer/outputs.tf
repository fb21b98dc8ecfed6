output "layer_arn" {
  description = "ARN (with version) of the FFmpeg layer the worker uses."
  value       = local.build_layer ? aws_lambda_layer_version.ffmpeg[0].arn : var.existing_layer_arn
}
