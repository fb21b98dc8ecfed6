locals {
  build_layer = var.existing_layer_arn == null
}

# Layer zips above 50 MB cannot be uploaded directly, so the zip always goes through S3.
resource "aws_s3_object" "layer_zip" {
  count = local.build_layer ? 1 : 0

  bucket      = var.artifacts_bucket
  key         = "layers/ffmpeg-${filemd5(var.layer_zip_path)}.zip"
  source      = var.layer_zip_path
  source_hash = filemd5(var.layer_zip_path)
  tags        = var.tags
}

resource "aws_lambda_layer_version" "ffmpeg" {
  count = local.build_layer ? 1 : 0

  layer_name               = "${var.name}-ffmpeg"
  description              = "Static FFmpeg (the imageio-ffmpeg build the project uses locally) at /opt/bin/ffmpeg"
  s3_bucket                = aws_s3_object.layer_zip[0].bucket
  s3_key                   = aws_s3_object.layer_zip[0].key
  source_code_hash         = filebase64sha256(var.layer_zip_path)
  compatible_runtimes      = ["python3.11"]
  compatible_architectures = ["x86_64"]
  license_info             = "GPL-3.0-or-later"
}
