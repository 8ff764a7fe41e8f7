"""The reporting cycle (spec cycle.md): returns, explanations, review and approval."""
