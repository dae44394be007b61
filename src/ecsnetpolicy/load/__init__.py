"""Reading the user's files: templates as line-marked mappings (template.py, transforms.py), files
and paths (files.py), configuration and policy data (data.py, config.py, policy.py), deployments
of several stacks (deployment.py)."""
