from apim_common.migrations import run_env
from apim_publisher.models import load_all, metadata

load_all()
run_env(metadata)
