from apim_admin.tables import metadata
from apim_common.migrations import run_env

run_env(metadata)
