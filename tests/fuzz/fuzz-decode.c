/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One message decoder. Built once per decoder with -DFUZZ_DECODER_<NAME>,
 * which picks the decoder and the header types it accepts.
 *
 * Input: byte 0 = the header's flags; byte 1 = the header's type (an index
 * into the decoder's types, or 0xff: the type is byte 2, any value); the
 * rest is the payload. The message is framed from a buffer of its exact size
 * so that AddressSanitizer sees any read past it. */
#include "fuzz-common.h"

#if defined(FUZZ_DECODER_FRAME_REQUEST)
#define DECODER FD_FRAME_REQUEST
static const uint8_t types[] = {HXFR_FRAME_REQUEST};
#elif defined(FUZZ_DECODER_FRAME_RESPONSE)
#define DECODER FD_FRAME_RESPONSE
static const uint8_t types[] = {HXFR_FRAME_RESPONSE};
#elif defined(FUZZ_DECODER_EMPTY)
#define DECODER FD_EMPTY
static const uint8_t types[] = {HXFR_KEYFRAME_REQ, HXFR_PING, HXFR_PONG, HXFR_GOODBYE};
#elif defined(FUZZ_DECODER_CONFIG_REQ)
#define DECODER FD_CONFIG_REQ
static const uint8_t types[] = {HXFR_CONFIG_REQ};
#elif defined(FUZZ_DECODER_CONFIG_RESP)
#define DECODER FD_CONFIG_RESP
static const uint8_t types[] = {HXFR_CONFIG_RESP};
#elif defined(FUZZ_DECODER_PING)
#define DECODER FD_PING
static const uint8_t types[] = {HXFR_PING, HXFR_PONG};
#elif defined(FUZZ_DECODER_ENABLE_SCANOUT)
#define DECODER FD_ENABLE_SCANOUT
static const uint8_t types[] = {HXFR_ENABLE_SCANOUT};
#elif defined(FUZZ_DECODER_U32)
#define DECODER FD_U32
static const uint8_t types[] = {HXFR_DISABLE_SCANOUT, HXFR_SUBSCRIBE};
#elif defined(FUZZ_DECODER_SCANOUT_RESP)
#define DECODER FD_SCANOUT_RESP
static const uint8_t types[] = {HXFR_SCANOUT_RESP};
#elif defined(FUZZ_DECODER_SUBSCRIBE_RESP)
#define DECODER FD_SUBSCRIBE_RESP
static const uint8_t types[] = {HXFR_SUBSCRIBE_RESP};
#elif defined(FUZZ_DECODER_HELLO)
#define DECODER FD_HELLO
static const uint8_t types[] = {HXFR_HELLO};
#elif defined(FUZZ_DECODER_HELLO_RESP)
#define DECODER FD_HELLO_RESP
static const uint8_t types[] = {HXFR_HELLO_RESP};
#elif defined(FUZZ_DECODER_SHM_ATTACH)
#define DECODER FD_SHM_ATTACH
static const uint8_t types[] = {HXFR_SHM_ATTACH};
#elif defined(FUZZ_DECODER_SHM_ATTACH_RESP)
#define DECODER FD_SHM_ATTACH_RESP
static const uint8_t types[] = {HXFR_SHM_ATTACH_RESP};
#elif defined(FUZZ_DECODER_FRAME_SHM)
#define DECODER FD_FRAME_SHM
static const uint8_t types[] = {HXFR_FRAME_SHM};
#elif defined(FUZZ_DECODER_INPUT)
#define DECODER FD_INPUT
static const uint8_t types[] = {HXFR_INPUT};
#elif defined(FUZZ_DECODER_ERROR)
#define DECODER FD_ERROR
static const uint8_t types[] = {HXFR_ERROR};
#else
#error "define one FUZZ_DECODER_<NAME>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags, type;
	uint8_t *buf;
	size_t len;
	struct hxfr_msg m;
	size_t need = 0;

	if (size < 2)
		return 0;
	flags = data[0];
	if (data[1] == 0xff) {
		if (size < 3)
			return 0;
		type = data[2];
		data += 3;
		size -= 3;
	} else {
		type = types[data[1] % sizeof(types)];
		data += 2;
		size -= 2;
	}
	if (size > HXFR_MAX_PAYLOAD_HARD)
		return 0;
	len = HXFR_HEADER_SIZE + size;
	buf = malloc(len);
	FUZZ_ASSERT(buf != NULL);
	FUZZ_ASSERT(hxfr_build_header(buf, len, type, flags, 0x5a5a, (uint32_t)size) ==
		    (ssize_t)HXFR_HEADER_SIZE);
	if (size)
		memcpy(buf + HXFR_HEADER_SIZE, data, size);
	FUZZ_ASSERT(hxfr_frame(buf, len, HXFR_MAX_PAYLOAD_HARD, &m, &need) == 1);
	FUZZ_ASSERT(m.total == len && m.payload == buf + HXFR_HEADER_SIZE);
	fuzz_decode(DECODER, &m);
	free(buf);
	return 0;
}
