/* What the game protocol files share and nothing outside collect needs. */
#ifndef GAME_PRIVATE_H
#define GAME_PRIVATE_H

#include <stddef.h>

enum game_colors {
	GAME_COLORS_NONE,
	GAME_COLORS_Q3, /* ^N, DarkPlaces' ^xRGB, "^^" is a literal caret */
	GAME_COLORS_MC, /* Minecraft's section sign: "\xc2\xa7" followed by one code */
};

/* Copies n bytes of src into dst (size bytes, always NUL-terminated) as
 * something a terminal can show: the game's colour codes dropped, control
 * bytes and invalid UTF-8 turned into '?', cut at a character boundary. */
void game_text_clean(char *dst, size_t size, const char *src, size_t n, enum game_colors colors);

#endif
