/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of message types and error codes, for logs and ERROR texts. */
#include "wire-private.h"

const char *hxfr_type_name(uint8_t type)
{
	switch (type) {
	case HXFR_FRAME_REQUEST: return "FRAME_REQUEST";
	case HXFR_FRAME_RESPONSE: return "FRAME_RESPONSE";
	case HXFR_KEYFRAME_REQ: return "KEYFRAME_REQ";
	case HXFR_CONFIG_REQ: return "CONFIG_REQ";
	case HXFR_CONFIG_RESP: return "CONFIG_RESP";
	case HXFR_PING: return "PING";
	case HXFR_PONG: return "PONG";
	case HXFR_ENABLE_SCANOUT: return "ENABLE_SCANOUT";
	case HXFR_DISABLE_SCANOUT: return "DISABLE_SCANOUT";
	case HXFR_SCANOUT_RESP: return "SCANOUT_RESP";
	case HXFR_SUBSCRIBE: return "SUBSCRIBE";
	case HXFR_SUBSCRIBE_RESP: return "SUBSCRIBE_RESP";
	case HXFR_HELLO: return "HELLO";
	case HXFR_HELLO_RESP: return "HELLO_RESP";
	case HXFR_SHM_ATTACH: return "SHM_ATTACH";
	case HXFR_SHM_ATTACH_RESP: return "SHM_ATTACH_RESP";
	case HXFR_FRAME_SHM: return "FRAME_SHM";
	case HXFR_GOODBYE: return "GOODBYE";
	case HXFR_INPUT: return "INPUT";
	case HXFR_ERROR: return "ERROR";
	default: return "UNKNOWN";
	}
}

bool hxfr_type_known(uint8_t type)
{
	return hxfr_type_name(type)[0] != 'U';
}

const char *hxfr_error_name(int32_t code)
{
	switch (code) {
	case HXFR_ERR_OK: return "ok";
	case HXFR_ERR_INVALID_MSG: return "invalid message";
	case HXFR_ERR_RESOURCE_NOT_FOUND: return "resource not found";
	case HXFR_ERR_NOT_METAL_TEXTURE: return "not a Metal texture";
	case HXFR_ERR_NO_IOSURFACE: return "no IOSurface";
	case HXFR_ERR_ENCODE_FAILED: return "encode failed";
	case HXFR_ERR_NOT_CONFIGURED: return "not configured";
	case HXFR_ERR_UNSUPPORTED: return "unsupported";
	case HXFR_ERR_LIMIT: return "limit exceeded";
	case HXFR_ERR_BUSY: return "busy";
	case HXFR_ERR_SHM: return "shared memory error";
	case HXFR_ERR_VERSION: return "incompatible version";
	case HXFR_ERR_NOT_FOUND: return "not found";
	case HXFR_ERR_INTERNAL: return "internal error";
	default: return "unknown error";
	}
}
