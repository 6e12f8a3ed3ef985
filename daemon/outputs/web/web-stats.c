/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /stats (JSON), /metrics (Prometheus text) and /sources. */
#define G_LOG_DOMAIN "hostenc.web"
#include <json-glib/json-glib.h>
#include <string.h>

#include "hxfr-server.h"
#include "mem-trim.h"
#include "web-private.h"

static void add_stages(JsonBuilder *b, struct he_stats *st)
{
	json_builder_set_member_name(b, "latency_us");
	json_builder_begin_object(b);
	for (int i = 0; i < HE_STAGE_COUNT; i++) {
		json_builder_set_member_name(b, he_stage_name(i));
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "p50");
		json_builder_add_int_value(b, he_stats_percentile(st, i, 50));
		json_builder_set_member_name(b, "p99");
		json_builder_add_int_value(b, he_stats_percentile(st, i, 99));
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

static void add_counter(JsonBuilder *b, const char *name, uint64_t v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, (gint64)v);
}

static void add_string(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v);
}

static void add_source(JsonBuilder *b, struct he_stream *s)
{
	struct he_stream_info info;
	struct he_stats *st = he_stream_stats(s);
	uint64_t n[HE_COUNT_N];

	he_stream_info(s, &info);
	json_builder_begin_object(b);
	add_counter(b, "id", info.id);
	add_string(b, "name", info.name);
	add_string(b, "title", info.title);
	json_builder_set_member_name(b, "encoder");
	json_builder_add_string_value(b, info.encoder);
	json_builder_set_member_name(b, "hardware");
	json_builder_add_boolean_value(b, info.hardware);
	add_counter(b, "width", info.width);
	add_counter(b, "height", info.height);
	json_builder_set_member_name(b, "fps");
	json_builder_add_double_value(b, info.fps);
	add_counter(b, "bitrate", info.bitrate);
	add_counter(b, "bitrate_measured", (uint64_t)info.bitrate_measured);
	add_counter(b, "viewers", info.outputs);
	he_stats_counters(st, n);
	add_counter(b, "frames_in", n[HE_COUNT_FRAMES_IN]);
	add_counter(b, "frames_encoded", n[HE_COUNT_FRAMES_ENCODED]);
	add_counter(b, "drops", n[HE_COUNT_FRAMES_DROPPED]);
	add_counter(b, "keyframes", n[HE_COUNT_KEYFRAMES]);
	add_counter(b, "bytes_out", n[HE_COUNT_BYTES_OUT]);
	add_stages(b, st);
	json_builder_end_object(b);
}

static void add_session(const struct he_session_info *i, void *data)
{
	JsonBuilder *b = data;
	const struct he_session_info info = *i;
	struct he_stats *st = info.stats;
	uint64_t n[HE_COUNT_N];

	json_builder_begin_object(b);
	add_counter(b, "id", info.id);
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, info.peer);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, info.name);
	json_builder_set_member_name(b, "path");
	json_builder_add_string_value(b, info.path);
	json_builder_set_member_name(b, "source");
	json_builder_add_int_value(b, info.stream_id == UINT32_MAX ? -1 : (gint64)info.stream_id);
	add_counter(b, "frames", info.frames);
	add_counter(b, "errors", info.errors);
	add_counter(b, "inflight", info.inflight);
	add_counter(b, "queued_bytes", info.queued_bytes);
	he_stats_counters(st, n);
	add_counter(b, "bytes_in", n[HE_COUNT_BYTES_IN]);
	add_stages(b, st);
	json_builder_end_object(b);
}

static void add_viewer(JsonBuilder *b, struct he_viewer *v)
{
	struct he_viewer_info info;

	web_viewer_info(v, &info);
	json_builder_begin_object(b);
	/* its number, not its client id: that would let anyone who reads
	 * this pose as the page */
	add_counter(b, "viewer", info.index);
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, info.peer);
	add_counter(b, "source", info.stream_id);
	add_counter(b, "sent", info.sent_aus);
	add_counter(b, "skipped", info.skipped_aus);
	add_counter(b, "resyncs", info.resyncs);
	add_counter(b, "bytes", info.bytes);
	add_counter(b, "queued_bytes", info.queued);
	add_counter(b, "input_events", info.input_events);
	add_counter(b, "input_dropped", info.input_dropped);
	add_counter(b, "input_refused", info.input_refused);
	add_string(b, "role", info.role == WEB_ROLE_CONTROL ? "control" : "view");
	json_builder_end_object(b);
}

static GList *sorted_sources(struct he_web *w)
{
	return he_registry_list(w->reg);
}

static void respond_json(SoupServerMessage *msg, JsonBuilder *b)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	gsize len;
	char *text;

	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	text = json_generator_to_data(gen, &len);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Cache-Control", "no-cache");
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

void web_stats_json(struct he_web *w, SoupServerMessage *msg)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	GList *sources = sorted_sources(w);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "encoder");
	json_builder_add_string_value(b, w->encoder ? w->encoder : "");
	json_builder_set_member_name(b, "time_us");
	json_builder_add_int_value(b, he_now_us());
	json_builder_set_member_name(b, "sources");
	json_builder_begin_array(b);
	for (GList *l = sources; l; l = l->next)
		add_source(b, l->data);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "sessions");
	json_builder_begin_array(b);
	if (w->hx)
		he_hxfr_foreach_session(w->hx, add_session, b);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "viewers");
	json_builder_begin_array(b);
	for (GList *l = w->viewers; l; l = l->next)
		add_viewer(b, l->data);
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_list_free(sources);
	respond_json(msg, b);
}

void web_sources_json(struct he_web *w, SoupServerMessage *msg)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	GList *sources = sorted_sources(w);

	json_builder_begin_array(b);
	for (GList *l = sources; l; l = l->next) {
		struct he_stream_info info;

		he_stream_info(l->data, &info);
		json_builder_begin_object(b);
		add_counter(b, "id", info.id);
		add_string(b, "name", info.name);
		add_string(b, "title", info.title);
		json_builder_set_member_name(b, "input");
		json_builder_add_boolean_value(b, he_stream_has_input(l->data));
		add_counter(b, "width", info.width);
		add_counter(b, "height", info.height);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	g_list_free(sources);
	respond_json(msg, b);
}

/* Prometheus label values: escape backslash, quote and newline. */
static void label(GString *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			g_string_append_c(out, '\\');
		if (*v == '\n') {
			g_string_append(out, "\\n");
			continue;
		}
		g_string_append_c(out, *v);
	}
}

static void metric_header(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_u64(GString *out, const char *name, const char *type, const char *help,
		       uint64_t v)
{
	metric_header(out, name, type, help);
	g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n", name, v);
}

/* One sample of every per-source family, taken once per source. */
struct source_sample {
	char *labels;
	double v[12];
};

static const struct {
	const char *name, *type, *help;
} families[] = {
	{ "hostenc_source_frames_in_total", "counter", "Raw frames submitted to the source" },
	{ "hostenc_source_frames_encoded_total", "counter", "Access units encoded" },
	{ "hostenc_source_frames_dropped_total", "counter", "Frames dropped before encoding" },
	{ "hostenc_source_keyframes_total", "counter", "IDR access units encoded" },
	{ "hostenc_source_bytes_out_total", "counter", "Encoded bytes produced" },
	{ "hostenc_source_fps", "gauge", "Encoded frames per second, last 2 s" },
	{ "hostenc_source_viewers", "gauge", "Consumers attached (subscribers and browsers)" },
	{ "hostenc_source_width", "gauge", "Encoded width in pixels" },
	{ "hostenc_source_height", "gauge", "Encoded height in pixels" },
	{ "hostenc_source_encode_errors_total", "counter", "Frames the encoder failed on" },
	{ "hostenc_source_bitrate_target_bps", "gauge", "Bitrate the encoder was set to" },
	{ "hostenc_source_bitrate_bps", "gauge", "Bitrate produced, last 2 s" },
};

static void sample_source(struct he_stream *s, struct source_sample *out)
{
	struct he_stream_info info;
	struct he_stats *st = he_stream_stats(s);
	GString *l = g_string_new(NULL);
	uint64_t n[HE_COUNT_N];

	he_stream_info(s, &info);
	/* the stable name, not the id: ids are new for every guest connection,
	 * so an id label would make new series without bound */
	g_string_append(l, "name=\"");
	label(l, info.name);
	g_string_append(l, "\",encoder=\"");
	label(l, info.encoder);
	g_string_append(l, "\"");
	out->labels = g_string_free(l, FALSE);
	he_stats_counters(st, n);
	out->v[0] = (double)n[HE_COUNT_FRAMES_IN];
	out->v[1] = (double)n[HE_COUNT_FRAMES_ENCODED];
	out->v[2] = (double)n[HE_COUNT_FRAMES_DROPPED];
	out->v[3] = (double)n[HE_COUNT_KEYFRAMES];
	out->v[4] = (double)n[HE_COUNT_BYTES_OUT];
	out->v[5] = info.fps;
	out->v[6] = info.outputs;
	out->v[7] = info.width;
	out->v[8] = info.height;
	out->v[9] = (double)n[HE_COUNT_ENCODE_ERRORS];
	out->v[10] = info.bitrate;
	out->v[11] = info.bitrate_measured;
}

static void latency_metrics(GString *out, GList *sources, struct source_sample *samples)
{
	int n = 0;

	metric_header(out, "hostenc_source_stage_latency_seconds", "summary",
		      "Per-frame time in each stage (receive, convert, encode, send), last 512 frames");
	for (GList *l = sources; l; l = l->next, n++) {
		struct he_stats *st = he_stream_stats(l->data);

		for (int i = 0; i < HE_STAGE_COUNT; i++) {
			uint64_t count, sum_us;

			for (int q = 0; q < 2; q++)
				g_string_append_printf(out,
					"hostenc_source_stage_latency_seconds{%s,stage=\"%s\",quantile=\"%s\"} %.6f\n",
					samples[n].labels, he_stage_name(i), q ? "0.99" : "0.5",
					he_stats_percentile(st, i, q ? 99 : 50) / 1e6);
			he_stats_stage_totals(st, i, &count, &sum_us);
			g_string_append_printf(out,
				"hostenc_source_stage_latency_seconds_sum{%s,stage=\"%s\"} %.6f\n"
				"hostenc_source_stage_latency_seconds_count{%s,stage=\"%s\"} %" G_GUINT64_FORMAT "\n",
				samples[n].labels, he_stage_name(i), sum_us / 1e6,
				samples[n].labels, he_stage_name(i), count);
		}
	}
}

static void source_metrics(GString *out, GList *sources)
{
	guint n = g_list_length(sources), i = 0;
	struct source_sample *samples = g_new0(struct source_sample, MAX(n, 1u));

	for (GList *l = sources; l; l = l->next)
		sample_source(l->data, &samples[i++]);
	for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
		metric_header(out, families[f].name, families[f].type, families[f].help);
		for (i = 0; i < n; i++)
			g_string_append_printf(out, "%s{%s} %.15g\n", families[f].name, samples[i].labels,
					       samples[i].v[f]);
	}
	latency_metrics(out, sources, samples);
	for (i = 0; i < n; i++)
		g_free(samples[i].labels);
	g_free(samples);
}

static const char *const end_names[WEB_END_N] = {
	[WEB_END_NORMAL] = "normal",
	[WEB_END_BROKEN] = "broken",
	[WEB_END_LIMIT] = "limit",
	[WEB_END_SLOW] = "slow",
	[WEB_END_SUPERSEDED] = "superseded",
	[WEB_END_AUTH] = "auth",
	[WEB_END_UNKNOWN_SOURCE] = "unknown-source",
	[WEB_END_STOPPED] = "machine-stopped",
	[WEB_END_NO_INIT] = "no-init",
	[WEB_END_SHUTDOWN] = "shutdown",
	[WEB_END_OTHER] = "other",
};

static const char *const refused_names[WEB_REFUSED_N] = {
	[WEB_REFUSED_VIEW_ONLY] = "view-only",
	[WEB_REFUSED_NOT_IN_CONTROL] = "not-in-control",
	[WEB_REFUSED_RATE] = "rate",
};

const char *web_end_name(enum web_end end)
{
	return end_names[end];
}

const char *web_refused_name(enum web_refused why)
{
	return refused_names[why];
}

enum web_end web_end_of_code(gushort code)
{
	switch (code) {
	case WS_CLOSE_SUPERSEDED: return WEB_END_SUPERSEDED;
	case WS_CLOSE_UNAUTHORIZED: return WEB_END_AUTH;
	case WS_CLOSE_UNKNOWN_SOURCE: return WEB_END_UNKNOWN_SOURCE;
	case WS_CLOSE_TOO_SLOW: return WEB_END_SLOW;
	case WS_CLOSE_MACHINE_STOPPED: return WEB_END_STOPPED;
	case SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION: return WEB_END_NO_INIT;
	case SOUP_WEBSOCKET_CLOSE_GOING_AWAY: return WEB_END_SHUTDOWN;
	case SOUP_WEBSOCKET_CLOSE_TOO_BIG: return WEB_END_LIMIT;
	default: return WEB_END_OTHER;
	}
}

/* Counters labelled by a fixed set of reasons: every reason, zeros too. */
static void labelled_counters(GString *out, const char *name, const char *help,
			      const char *const *names, const uint64_t *v, int n)
{
	metric_header(out, name, "counter", help);
	for (int i = 0; i < n; i++)
		g_string_append_printf(out, "%s{reason=\"%s\"} %" G_GUINT64_FORMAT "\n", name,
				       names[i], v[i]);
}

void web_stats_metrics(struct he_web *w, SoupServerMessage *msg)
{
	GString *out = g_string_new(NULL);
	GList *sources = sorted_sources(w);
	char *text;
	gsize len;

	metric_header(out, "hostenc_build_info", "gauge", "hostencd's version (always 1)");
	g_string_append_printf(out, "hostenc_build_info{version=\"%s\"} 1\n", HOSTENC_VERSION);
	source_metrics(out, sources);
	metric_header(out, "hostenc_sessions", "gauge", "Guest HXFR sessions connected");
	g_string_append_printf(out, "hostenc_sessions %u\n", w->hx ? he_hxfr_session_count(w->hx) : 0);
	metric_header(out, "hostenc_viewers", "gauge", "Browser viewers connected");
	g_string_append_printf(out, "hostenc_viewers %u\n", g_list_length(w->viewers));
	metric_header(out, "hostenc_viewers_total", "counter", "Browser viewers accepted since start");
	g_string_append_printf(out, "hostenc_viewers_total %" G_GUINT64_FORMAT "\n", w->viewers_total);
	metric_u64(out, "hostenc_web_connections", "gauge",
		   "Connections open on the web port (HTTP and WebSocket)", web_conns_count(w));
	metric_u64(out, "hostenc_web_connections_refused_total", "counter",
		   "Web connections closed on arrival: --max-web-connections were open",
		   w->conns_refused);
	metric_u64(out, "hostenc_web_connections_timed_out_total", "counter",
		   "Web connections closed after --web-idle-timeout without a request or data",
		   w->conns_timed_out);
	metric_u64(out, "hostenc_viewers_refused_total", "counter",
		   "WebSocket upgrades refused (503): --max-viewers were watching",
		   w->viewers_refused);
	metric_u64(out, "hostenc_viewer_queued_bytes", "gauge",
		   "Bytes queued to all browser viewers, not yet received", web_budget_total(w));
	metric_u64(out, "hostenc_gop_bytes", "gauge",
		   "Bytes of the GOPs kept for late viewers, all streams together",
		   he_stream_gop_bytes_total());
	metric_u64(out, "hostenc_memory_trims_total", "counter",
		   "Times freed memory was given back to the system", he_mem_trims());
	labelled_counters(out, "hostenc_viewer_closes_total",
			  "Browser viewers' connections ended, by why (docs/web.md, \"Close codes\")",
			  end_names, w->ends, WEB_END_N);
	labelled_counters(out, "hostenc_input_refused_total",
			  "Viewers' input messages not taken: view-only viewer, another viewer in "
			  "control, over a message rate",
			  refused_names, w->refused, WEB_REFUSED_N);
	g_list_free(sources);
	len = out->len;
	text = g_string_free(out, FALSE);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "text/plain; version=0.0.4; charset=utf-8",
					 SOUP_MEMORY_TAKE, text, len);
}
