"""Bank files: ISO 20022 payment orders out (pain.001), status reports and notifications in
(pain.002, camt.054). Objects in `model`; each format's reader or writer in its own module."""
