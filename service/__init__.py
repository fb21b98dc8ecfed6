"""green-screen-remover: the code that runs in AWS Lambda (and, unchanged, behind the local shim)."""
