"""The local stack: AWS resources from infra/template.yaml on moto, fixture servers, the demo.

Nothing here is imported by Lambda handlers; moto and PyYAML come from the `local` extra.
"""
