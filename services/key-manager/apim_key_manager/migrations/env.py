from apim_common.migrations import run_env
from apim_key_manager.models import metadata

run_env(metadata)
