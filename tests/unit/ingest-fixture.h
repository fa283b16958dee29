/* ingest-fixture.h: what the receiver and sender unit tests share
 * (test-receiver.c, test-sender.c): callbacks that do nothing, and a wait
 * for a media loop's load while the main context runs. */
#pragma once

#include "media-loop.h"
#include "take-result.h"

/* on_answer, on_ice_candidate, on_take_finished, on_failed: no-ops. */
extern const ImsIngestCallbacks test_noop_ingest_callbacks;

/* Iterates the main context until the loop's load is want, at most
 * timeout_ms; returns the load then. */
guint test_wait_for_load(ImsMediaLoop *loop, guint want, guint timeout_ms);
