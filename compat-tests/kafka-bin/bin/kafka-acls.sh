#!/bin/sh
# Java-free stand-in for Kafka's kafka-acls.sh (see ../kafka_admin.py).
# The test-runner's LD_LIBRARY_PATH points at the suite's librdkafka; the Python client must
# load the system one it was built against.
unset LD_LIBRARY_PATH
exec /usr/bin/python3 "$(dirname "$0")/../kafka_admin.py" acls "$@"
