"""Sunlight's shared library: contracts, the working-day calendar and the infrastructure providers."""
