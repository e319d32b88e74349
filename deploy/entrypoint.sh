#!/bin/sh
# Entry point of the gateway image: `switchboard serve` on 0.0.0.0:${PORT:-4000}, configured by
#   SWITCHBOARD_CONFIG_B64  a LiteLLM config.yaml, base64-encoded (what the CloudFormation
#                           template passes); written to a private file and used as --config;
#   CONFIG_FILE_PATH        or a config file mounted into the container;
#   LITELLM_MASTER_KEY, DATABASE_URL, AWS_*, ...  read by the gateway from the environment
#                           (ECS hands the secrets over as environment variables).
# Without any config the gateway starts with no models; add them with /model/new.
# Extra arguments go to `switchboard serve` (e.g. --json-logs).
set -eu

if [ -n "${SWITCHBOARD_CONFIG_B64:-}" ]; then
    umask 077
    config="$(mktemp "${TMPDIR:-/tmp}/switchboard-config.XXXXXX")"
    printf '%s' "$SWITCHBOARD_CONFIG_B64" | base64 -d > "$config"
    CONFIG_FILE_PATH="$config"
    export CONFIG_FILE_PATH
fi

exec switchboard serve --host 0.0.0.0 --port "${PORT:-4000}" "$@"
