/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Incremental framing of the HXFR byte stream. */
#include "wire-private.h"

int hxfr_header_decode(const uint8_t *buf, struct hxfr_header *out)
{
	struct rd r;

	rd_init(&r, buf, HXFR_HEADER_SIZE);
	out->magic = rd_u32(&r);
	out->type = rd_u8(&r);
	out->flags = rd_u8(&r);
	out->session = rd_u16(&r);
	out->payload_size = rd_u32(&r);
	if (out->magic != HXFR_MAGIC)
		return -EPROTO;
	return 0;
}

int hxfr_frame(const uint8_t *buf, size_t len, uint32_t max_payload, struct hxfr_msg *msg,
	       size_t *need)
{
	struct hxfr_header h;
	uint64_t total;
	int res;

	if (len < HXFR_HEADER_SIZE) {
		/* A bad magic is reported as soon as its bytes are here, so a
		 * peer that sends garbage is not waited on for 12 bytes. */
		for (size_t i = 0; i < len && i < 4; i++)
			if (buf[i] != (uint8_t)(HXFR_MAGIC >> (8 * i)))
				return -EPROTO;
		*need = HXFR_HEADER_SIZE;
		return 0;
	}
	res = hxfr_header_decode(buf, &h);
	if (res < 0)
		return res;
	if (h.payload_size > max_payload || h.payload_size > HXFR_MAX_PAYLOAD_HARD)
		return -EMSGSIZE;
	total = (uint64_t)HXFR_HEADER_SIZE + h.payload_size;
	if (len < total) {
		*need = (size_t)total;
		return 0;
	}
	msg->hdr = h;
	msg->payload = buf + HXFR_HEADER_SIZE;
	msg->total = (size_t)total;
	return 1;
}

/* Could a message start at @p buf (@p len bytes, maybe fewer than a header)? */
static bool may_start(const uint8_t *buf, size_t len, uint32_t max_payload)
{
	struct hxfr_header h;

	for (size_t i = 0; i < len && i < 4; i++)
		if (buf[i] != (uint8_t)(HXFR_MAGIC >> (8 * i)))
			return false;
	if (len < HXFR_HEADER_SIZE)
		return true;
	hxfr_header_decode(buf, &h);
	return hxfr_type_known(h.type) && h.payload_size <= max_payload &&
	       h.payload_size <= HXFR_MAX_PAYLOAD_HARD;
}

size_t hxfr_resync(const uint8_t *buf, size_t len, uint32_t max_payload)
{
	for (size_t i = 1; i < len; i++)
		if (may_start(buf + i, len - i, max_payload))
			return i;
	return len;
}

ssize_t hxfr_build_header(uint8_t *buf, size_t cap, uint8_t type, uint8_t flags,
			  uint16_t session, uint32_t payload_size)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, type, flags, session, payload_size);
	return wr_done(&w, buf);
}
