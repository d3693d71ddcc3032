/* Text from game servers made safe to show: whatever a server calls its
 * name or a player's is attacker-chosen bytes on its way to a terminal. */
#include <string.h>

#include "fleetop/text.h"
#include "game_private.h"

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0:
 * what utf8_decode refuses and the C1 controls too, so what is kept is
 * safe to hand to a terminal. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = utf8_decode(s, n, &cp);
	if (len <= 1 || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return len;
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void game_text_clean(char *dst, size_t size, const char *src, size_t n, enum game_colors colors)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;
	while (i < n) {
		unsigned char c = s[i];
		const char *put = src + i;
		size_t take = 1, adv = 1;
		if (colors == GAME_COLORS_MC && c == 0xc2 && i + 1 < n && s[i + 1] == 0xa7) {
			/* A section sign and the code after it (one byte: 0-9a-fk-or). */
			i += 2;
			if (i < n && s[i] < 0x80)
				i++;
			continue;
		}
		if (colors == GAME_COLORS_Q3 && c == '^' && i + 1 < n) {
			unsigned char next = s[i + 1];
			if (next == '^') {
				adv = 2;
			} else if (next == 'x' && i + 4 < n && is_hex(s[i + 2]) &&
				   is_hex(s[i + 3]) && is_hex(s[i + 4])) {
				i += 5;
				continue;
			} else if (next > 0x20 && next < 0x7f) {
				i += 2;
				continue;
			}
		} else if (c >= 0x80) {
			take = adv = utf8_len(s + i, n - i);
			if (!take) {
				put = "?";
				take = adv = 1;
			}
		} else if (c < 0x20 || c == 0x7f) {
			put = "?";
		}
		if (o + take >= size)
			break;
		memcpy(dst + o, put, take);
		o += take;
		i += adv;
	}
	dst[o] = '\0';
}

