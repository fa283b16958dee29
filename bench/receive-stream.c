/* receive-stream: what pipelines/ingest/receive-stream.c costs per packet.
 *
 *   receive-stream [PACKETS=1000000] [PAYLOAD=1200]
 *
 * Feeds PACKETS synthetic RTP packets (12-byte header + PAYLOAD bytes, one per 1 ms of simulated
 * time, 90 kHz) through one receive stream (default config: window 512, NACK on) in four runs: in
 * order; 5 % loss with 3 % of the packets swapped with their successor, 80 % of the lost ones
 * retransmitted 30 ms (then 120 ms) after they were due, as a sender answering NACKs would; and the
 * 30 ms case with NACK lists off.  As a media loop would, every 10 packets (10 ms) it polls the
 * deadlines and collects the NACK list.  The arrival schedule is built before the clock starts; each
 * packet's header is patched into one of 64 prebuilt buffers.  The clock is the process CPU time
 * (the machine is shared: wall time would count other jobs), read only before and after the loop.
 * Prints CPU ns/packet for push + release (+ poll + NACK lists every 10 packets), and the stream's
 * counts.  Prints figures; never fails on time.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "receive-stream.h"

#define FIRST_SEQUENCE 12345

typedef struct {
  guint32 index; /* packet number: sequence = index + FIRST_SEQUENCE (16 bits) */
  gint64 arrival_us;
} Arrival;

static void
on_deliver(const ImsRtpPacket *packet, guint64 extended_sequence, gint64 arrival_us,
           gpointer user_data)
{
  (*(guint64 *) user_data) += packet->payload_length;
}

static gint64
cpu_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
patch(guint8 *packet, guint16 sequence)
{
  guint32 timestamp = (guint32) sequence * 90u;
  packet[2] = (guint8) (sequence >> 8);
  packet[3] = (guint8) sequence;
  packet[4] = (guint8) (timestamp >> 24);
  packet[5] = (guint8) (timestamp >> 16);
  packet[6] = (guint8) (timestamp >> 8);
  packet[7] = (guint8) timestamp;
}

static gint
compare_arrivals(gconstpointer a, gconstpointer b)
{
  const Arrival *x = a, *y = b;
  if (x->arrival_us != y->arrival_us)
    return x->arrival_us < y->arrival_us ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static GArray *
schedule(guint packets, double loss_rate, double reorder_rate, gint64 retransmit_delay_us,
         GRand *rand)
{
  GArray *arrivals = g_array_sized_new(FALSE, FALSE, sizeof(Arrival), packets + packets / 16);
  for (guint i = 0; i < packets; i++) {
    gint64 due = (gint64) i * 1000;
    if (g_rand_double(rand) < loss_rate) {
      if (g_rand_double(rand) < 0.8) {
        Arrival r = { i, due + retransmit_delay_us };
        g_array_append_val(arrivals, r);
      }
      continue;
    }
    Arrival a = { i, due };
    g_array_append_val(arrivals, a);
    if (i > 0 && g_rand_double(rand) < reorder_rate)
      g_array_index(arrivals, Arrival, arrivals->len - 1).arrival_us += 1500; /* after the next */
  }
  g_array_sort(arrivals, compare_arrivals);
  return arrivals;
}

static void
run(const char *name, guint packets, gsize payload, double loss_rate, double reorder_rate,
    gint64 retransmit_delay_us, gboolean nack)
{
  GRand *rand = g_rand_new_with_seed(2026);
  GArray *arrivals = schedule(packets, loss_rate, reorder_rate, retransmit_delay_us, rand);
  gsize length = 12 + payload;
  guint8 *pool[64];
  for (guint i = 0; i < 64; i++) {
    pool[i] = g_malloc0(length);
    pool[i][0] = 0x80;
    pool[i][1] = 96;
    pool[i][8] = 0x12;
    pool[i][11] = 0x34;
  }
  ImsReceiveStreamConfig config;
  ims_receive_stream_config_init(&config, 90000);
  config.nack = nack;
  guint64 delivered_bytes = 0;
  ImsReceiveStream *stream = ims_receive_stream_new(&config, on_deliver, &delivered_bytes);
  guint16 nacks[256];

  gint64 start = cpu_ns();
  for (guint i = 0; i < arrivals->len; i++) {
    const Arrival *a = &g_array_index(arrivals, Arrival, i);
    guint8 *packet = pool[i & 63];
    patch(packet, (guint16) (a->index + FIRST_SEQUENCE));
    ims_receive_stream_push(stream, packet, length, a->arrival_us);
    if (i % 10 == 0) {
      ims_receive_stream_poll(stream, a->arrival_us);
      ims_receive_stream_collect_nacks(stream, a->arrival_us, nacks, G_N_ELEMENTS(nacks));
    }
  }
  ims_receive_stream_poll(stream, G_MAXINT64 / 2);
  gint64 spent = cpu_ns() - start;

  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(stream, &stats);
  printf("%-34s %9u %8.1f %8.3f %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT
         " %6" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT " %7.1f\n",
         name, arrivals->len, (double) spent / arrivals->len,
         100.0 * stats.delivered / stats.expected, stats.recovered, stats.given_up, stats.late,
         stats.duplicates, stats.nacks, stats.rtt_us / 1000.0);
  ims_receive_stream_free(stream);
  for (guint i = 0; i < 64; i++)
    g_free(pool[i]);
  g_array_unref(arrivals);
  g_rand_free(rand);
}

int
main(int argc, char **argv)
{
  guint packets = argc > 1 ? (guint) strtoul(argv[1], NULL, 10) : 1000000;
  gsize payload = argc > 2 ? strtoul(argv[2], NULL, 10) : 1200;
  if (packets < 100 || payload > 1400) {
    fprintf(stderr, "usage: %s [PACKETS>=100] [PAYLOAD<=1400]\n", argv[0]);
    return 2;
  }
  printf("receive-stream: %u packets of %zu bytes, window 512 x 1500 B slots (%zu KiB)\n", packets,
         12 + payload, (gsize) 512 * 1500 / 1024);
  printf("%-34s %9s %8s %8s %9s %9s %6s %6s %8s %7s\n", "run", "pushed", "ns/pkt", "out %",
         "recovered", "given-up", "late", "dups", "nacks", "rtt ms");
  run("in order", packets, payload, 0, 0, 0, TRUE);
  run("5% loss, 3% reorder, rtx +30 ms", packets, payload, 0.05, 0.03, 30000, TRUE);
  run("5% loss, 3% reorder, rtx +120 ms", packets, payload, 0.05, 0.03, 120000, TRUE);
  run("5% loss, 3% reorder, no NACK", packets, payload, 0.05, 0.03, 30000, FALSE);
  return 0;
}
