"""Terraform for the host's target: model (the ``target:`` section), render
(``main.tf.json``), limits (user-data budgets), driver (terraform/tofu commands
and their output, in words) and state_unit (the state volume's systemd units)."""
