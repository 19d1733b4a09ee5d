from apim_common.migrations import run_env
from apim_devportal.models import metadata

run_env(metadata)
