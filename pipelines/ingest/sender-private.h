/* sender-private.h: what the publisher's receiver (receiver-feedback.c)
 * calls on each of its senders, on the receiver's media loop thread.  None
 * of these allocates, locks or waits. */
#pragma once

#include "rtcp.h"
#include "rtp.h"
#include "sender.h"

/* One of the publisher's RTP packets of track: rewritten for the
 * subscriber, kept for NACKs (video), protected and sent.  Nothing before
 * the secure state, or for a track the subscriber did not take. */
void ims_sender_forward_rtp(ImsSender *sender, ImsTrack track, const ImsRtpPacket *packet,
                            gint64 now);

/* One of the publisher's sender reports of track, sent as the sender's own
 * (its SSRC, its packet and octet counts; NTP and RTP time unchanged). */
void ims_sender_forward_sender_report(ImsSender *sender, ImsTrack track, const ImsRtcpReport *report,
                                      gint64 now);

/* The subscriber's last REMB (bits/s) if it sent one in the last 5 s:
 * TRUE and *bitrate; else FALSE. */
gboolean ims_sender_get_remb(ImsSender *sender, gint64 now, guint64 *bitrate);

/* Every report interval of the receiver: the sender's bitrate snapshot. */
void ims_sender_report(ImsSender *sender, gint64 now);
