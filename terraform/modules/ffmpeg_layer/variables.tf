variable "name" {
  description = "Prefix for the layer name: <name>-ffmpeg."
  type        = string
  default     = "green-screen-remover"
}

variable "layer_zip_path" {
  description = "Path of the layer zip built by `make build` (scripts/build_layer.py). Ignored when existing_layer_arn is set."
  type        = string
  default     = null
}

variable "existing_layer_arn" {
  description = "Use this FFmpeg layer instead of building one (for example the ARN in SSM /green-screen-remover/ffmpeg-layer-arn). It must put ffmpeg at /opt/bin/ffmpeg."
  type        = string
  default     = null

  validation {
    condition     = var.existing_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.existing_layer_arn))
    error_message = "existing_layer_arn must be a versioned Lambda layer ARN."
  }
}

variable "artifacts_bucket" {
  description = "Bucket the layer zip is uploaded to before publishing."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource of this module."
  type        = map(string)
  default     = {}
}
