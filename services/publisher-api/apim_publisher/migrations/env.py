from apim_common.migrations import run_env
from apim_publisher.models import metadata

run_env(metadata)
