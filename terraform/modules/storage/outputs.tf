output "input_bucket_name" {
  description = "Name of the input bucket (presigned uploads, s3:// inputs)."
  value       = aws_s3_bucket.this["input"].id
}

output "input_bucket_arn" {
  description = "ARN of the input bucket."
  value       = aws_s3_bucket.this["input"].arn
}

output "output_bucket_name" {
  description = "Name of the private output bucket."
  value       = aws_s3_bucket.this["output"].id
}

output "output_bucket_arn" {
  description = "ARN of the output bucket."
  value       = aws_s3_bucket.this["output"].arn
}

output "artifacts_bucket_name" {
  description = "Name of the bucket holding the function and layer zips."
  value       = aws_s3_bucket.this["artifacts"].id
}
