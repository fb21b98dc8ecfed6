output "function_names" {
  description = "Function names by role: submit, status, uploads, worker, reconcile."
  value       = { for key, fn in aws_lambda_function.this : key => fn.function_name }
}

output "function_arns" {
  description = "Function ARNs by role."
  value       = { for key, fn in aws_lambda_function.this : key => fn.arn }
}

output "invoke_arns" {
  description = "Invoke ARNs by role, for API Gateway integrations."
  value       = { for key, fn in aws_lambda_function.this : key => fn.invoke_arn }
}

output "role_arns" {
  description = "IAM role ARNs by role."
  value       = { for key, role in aws_iam_role.this : key => role.arn }
}
