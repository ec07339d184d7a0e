"""What an operator sees of a running paybot: health, metrics, logs."""
