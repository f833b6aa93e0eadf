from sunlight.migrations import run_env

from registry.models import metadata

run_env(metadata)
