"""The team: label files between laptops, agreement, reconciliation and gold labels, feedback."""
