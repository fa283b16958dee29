/* rtx-buffer.h: one sender's retransmission buffer: the last packets it
 * sent on one track, to answer the subscriber's NACKs.
 *
 * A fixed ring of IMS_RTX_BUFFER_SLOTS slots of IMS_RTX_BUFFER_PACKET_MAX
 * bytes, allocated once at new and indexed by the packet's (outgoing)
 * sequence number modulo the slot count: storing a packet overwrites the
 * one 512 numbers before it.  A lookup finds a packet only when its slot
 * still holds that very sequence number and it was stored at most max_age
 * ago (1 s by default): older ones are as good as lost to the subscriber's
 * jitter buffer.  Packets are kept as sent before SRTP (plaintext, already
 * rewritten), so a retransmission is protected again like any packet
 * (libsrtp2 allows the repeated index: transport-dtls.c sets
 * allow_repeat_tx).
 *
 * Lifecycle: new -> store / lookup ... -> free.  Threads: none of its own;
 * the sender's media loop thread only, no locks.  Cost: store is one memcpy
 * of the packet; lookup is O(1); nothing is allocated after new.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_RTX_BUFFER_SLOTS 512
#define IMS_RTX_BUFFER_PACKET_MAX 1500
#define IMS_RTX_BUFFER_MAX_AGE_US (1000 * 1000)

typedef struct _ImsRtxBuffer ImsRtxBuffer;

/* A buffer whose packets are good for max_age_us (0: IMS_RTX_BUFFER_MAX_AGE_US).
 * Allocates IMS_RTX_BUFFER_SLOTS x IMS_RTX_BUFFER_PACKET_MAX bytes once.
 * Transfer full. */
ImsRtxBuffer *ims_rtx_buffer_new(gint64 max_age_us);
void ims_rtx_buffer_free(ImsRtxBuffer *buffer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRtxBuffer, ims_rtx_buffer_free)

/* Keeps a copy of packet[0..length) (an RTP packet whose sequence number is
 * sequence) sent at now_us.  Returns 0, or -EMSGSIZE for a packet longer
 * than IMS_RTX_BUFFER_PACKET_MAX (not kept; its slot is emptied, so a NACK
 * for it is not answered with an older packet). */
int ims_rtx_buffer_store(ImsRtxBuffer *buffer, guint16 sequence, const guint8 *packet, gsize length,
                         gint64 now_us);

/* The packet of sequence if it is still held and no older than max_age at
 * now_us: sets *packet (valid until the next store) and *length, returns
 * TRUE; else FALSE. */
gboolean ims_rtx_buffer_lookup(const ImsRtxBuffer *buffer, guint16 sequence, gint64 now_us,
                               const guint8 **packet, gsize *length);

G_END_DECLS
