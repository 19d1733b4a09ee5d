from apim_analytics.models import metadata
from apim_common.migrations import run_env

run_env(metadata)
