"""Stand-ins for the outside world that paybot's demo and tests run against."""
