/* fuzz-token.c: libFuzzer target for server/interview/token.c.
 *
 * The input is verified as a candidate token and as a room token (neither must ever crash or accept
 * anything but a correctly signed token in its window whose outputs are set; no input is both), and,
 * when short enough, used as a session id:
 * whatever ims_token_issue() accepts must verify back to the same session id.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

/* The seed corpus (tests/fuzz/corpus/token) has tokens signed with this secret. */
#define FUZZ_SECRET "fuzz-secret-fuzz-secret-fuzz-secret!"
#define FUZZ_NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* Past the cap, verify must still answer (it only looks at the first IMS_TOKEN_MAX_LENGTH + 1 bytes). */
  if (size > 4 * IMS_TOKEN_MAX_LENGTH)
    return 0;
  g_autofree char *text = g_strndup(size > 0 ? (const char *) data : "", size);

  g_autofree char *session_id = NULL;
  gint64 expires_at = 0;
  g_autoptr(GError) error = NULL;
  if (ims_token_verify(FUZZ_SECRET, text, FUZZ_NOW, &session_id, &expires_at, &error)) {
    if (session_id == NULL || session_id[0] == '\0' || expires_at < FUZZ_NOW || error != NULL)
      abort();
  } else if (error == NULL || session_id != NULL ||
             (error->code != IMS_TOKEN_ERROR_INVALID && error->code != IMS_TOKEN_ERROR_EXPIRED &&
              error->code != IMS_TOKEN_ERROR_NOT_YET_VALID)) {
    abort();
  }
  g_clear_error(&error);

  g_autofree char *room_id = NULL, *participant_id = NULL, *role = NULL;
  if (ims_room_token_verify(FUZZ_SECRET, text, FUZZ_NOW, &room_id, &participant_id, &role, &error)) {
    if (!room_id || !room_id[0] || !participant_id || !participant_id[0] || !role || !role[0] ||
        error != NULL || session_id != NULL)
      abort();
  } else if (error == NULL || room_id != NULL ||
             (error->code != IMS_TOKEN_ERROR_INVALID && error->code != IMS_TOKEN_ERROR_EXPIRED &&
              error->code != IMS_TOKEN_ERROR_NOT_YET_VALID)) {
    abort();
  }
  g_clear_error(&error);

  if (size <= 512) {
    g_autofree char *token = ims_token_issue(FUZZ_SECRET, text, FUZZ_NOW, 60, &error);
    if (token != NULL) {
      g_autofree char *round_trip = NULL;
      if (!ims_token_verify(FUZZ_SECRET, token, FUZZ_NOW, &round_trip, NULL, NULL) ||
          strcmp(round_trip, text) != 0)
        abort();
    } else if (error == NULL) {
      abort();
    }
  }
  return 0;
}
