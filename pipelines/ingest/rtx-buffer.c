/* rtx-buffer.c: the sender's retransmission ring; see rtx-buffer.h. */
#include "rtx-buffer.h"

#include <errno.h>
#include <string.h>

typedef struct {
  gint64 stored_us; /* 0: empty */
  guint16 sequence;
  guint16 length;
  guint8 data[IMS_RTX_BUFFER_PACKET_MAX];
} Slot;

struct _ImsRtxBuffer {
  gint64 max_age_us;
  Slot slots[IMS_RTX_BUFFER_SLOTS];
};

ImsRtxBuffer *
ims_rtx_buffer_new(gint64 max_age_us)
{
  ImsRtxBuffer *buffer = g_new0(ImsRtxBuffer, 1);
  buffer->max_age_us = max_age_us > 0 ? max_age_us : IMS_RTX_BUFFER_MAX_AGE_US;
  return buffer;
}

void
ims_rtx_buffer_free(ImsRtxBuffer *buffer)
{
  g_free(buffer);
}

int
ims_rtx_buffer_store(ImsRtxBuffer *buffer, guint16 sequence, const guint8 *packet, gsize length,
                     gint64 now_us)
{
  Slot *slot = &buffer->slots[sequence % IMS_RTX_BUFFER_SLOTS];
  if (length > IMS_RTX_BUFFER_PACKET_MAX) {
    slot->stored_us = 0;
    return -EMSGSIZE;
  }
  memcpy(slot->data, packet, length);
  slot->length = (guint16) length;
  slot->sequence = sequence;
  slot->stored_us = MAX(now_us, 1);
  return 0;
}

gboolean
ims_rtx_buffer_lookup(const ImsRtxBuffer *buffer, guint16 sequence, gint64 now_us,
                      const guint8 **packet, gsize *length)
{
  const Slot *slot = &buffer->slots[sequence % IMS_RTX_BUFFER_SLOTS];
  if (slot->stored_us == 0 || slot->sequence != sequence ||
      now_us - slot->stored_us > buffer->max_age_us)
    return FALSE;
  *packet = slot->data;
  *length = slot->length;
  return TRUE;
}
