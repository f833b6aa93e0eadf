"""The one HTTP door: turns requests into RPC calls; owns no business rule."""
