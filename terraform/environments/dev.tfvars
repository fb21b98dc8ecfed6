# A disposable development stack: open API, short retention, easy teardown.
name                        = "gsr-dev"
region                      = "eu-central-1"
worker_reserved_concurrency = 2
input_expiration_days       = 1
output_expiration_days      = 3
job_retention_days          = 7
log_retention_days          = 7
deletion_protection         = false
force_destroy               = true
tags = {
  Environment = "dev"
}
