/* Which protocol and ports a game uses, by gamedig's game ids (so an
 * inventory written for gamedig-based tools reads the same here), plus the
 * protocol names themselves. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "collect_private.h"

static const struct game_kind kinds[] = {
	/* Quake 3 family: getstatus on the game port. */
	{ "quake3", "Quake III Arena", PROTO_Q3, 27960, 0, "ioq3ded" },
	{ "q3a", "Quake III Arena", PROTO_Q3, 27960, 0, "ioq3ded" },
	{ "ioquake3", "ioquake3", PROTO_Q3, 27960, 0, "ioq3ded" },
	{ "openarena", "OpenArena", PROTO_Q3, 27960, 0, "ioq3ded" },
	{ "urbanterror", "Urban Terror", PROTO_Q3, 27960, 0, "Quake3-UrT-Ded" },
	{ "xonotic", "Xonotic", PROTO_Q3, 26000, 0, "xonotic-linux64" },
	{ "wolfet", "Wolfenstein: Enemy Territory", PROTO_Q3, 27960, 0, "etded" },
	{ "tremulous", "Tremulous", PROTO_Q3, 30720, 0, "tremded" },
	{ "smokinguns", "Smokin' Guns", PROTO_Q3, 27960, 0, "smokinguns_ded" },
	{ "jediacademy", "Jedi Knight: Jedi Academy", PROTO_Q3, 29070, 0, "linuxjampded" },
	/* Valve A2S on the query port. */
	{ "valheim", "Valheim", PROTO_A2S, 2457, 0, "valheim_server.x86_64" },
	{ "rust", "Rust", PROTO_A2S, 28015, 28016, "RustDedicated" },
	{ "csgo", "Counter-Strike: Global Offensive", PROTO_A2S, 27015, 27015, "srcds_linux" },
	{ "counterstrike2", "Counter-Strike 2", PROTO_A2S, 27015, 27015, "cs2" },
	{ "cs2", "Counter-Strike 2", PROTO_A2S, 27015, 27015, "cs2" },
	{ "css", "Counter-Strike: Source", PROTO_A2S, 27015, 27015, "srcds_linux" },
	{ "cs16", "Counter-Strike 1.6", PROTO_A2S, 27015, 27015, "hlds_linux" },
	{ "tf2", "Team Fortress 2", PROTO_A2S, 27015, 27015, "srcds_linux" },
	{ "garrysmod", "Garry's Mod", PROTO_A2S, 27015, 27015, "srcds_linux" },
	{ "gmod", "Garry's Mod", PROTO_A2S, 27015, 27015, "srcds_linux" },
	{ "left4dead2", "Left 4 Dead 2", PROTO_A2S, 27015, 27015, "srcds_linux" },
	{ "l4d2", "Left 4 Dead 2", PROTO_A2S, 27015, 27015, "srcds_linux" },
	{ "ark", "ARK: Survival Evolved", PROTO_A2S, 27015, 27020, "ShooterGameServer" },
	{ "arkse", "ARK: Survival Evolved", PROTO_A2S, 27015, 27020, "ShooterGameServer" },
	{ "7d2d", "7 Days to Die", PROTO_A2S, 26900, 0, "7DaysToDieServer.x86_64" },
	{ "arma3", "Arma 3", PROTO_A2S, 2303, 0, "arma3server_x64" },
	{ "dayz", "DayZ", PROTO_A2S, 27016, 0, "DayZServer" },
	{ "conanexiles", "Conan Exiles", PROTO_A2S, 27015, 25575, "ConanSandboxServer" },
	{ "projectzomboid", "Project Zomboid", PROTO_A2S, 16261, 27015, "ProjectZomboid64" },
	{ "squad", "Squad", PROTO_A2S, 27165, 21114, "SquadGameServer" },
	{ "unturned", "Unturned", PROTO_A2S, 27016, 0, "Unturned.x86_64" },
	{ "insurgencysandstorm", "Insurgency: Sandstorm", PROTO_A2S, 27131, 27015, "InsurgencyServer-Linux-Shipping" },
	{ "vrising", "V Rising", PROTO_A2S, 9877, 25575, "VRisingServer.exe" },
	{ "theforest", "The Forest", PROTO_A2S, 27016, 0, "TheForestDedicatedServer.exe" },
	{ "killingfloor2", "Killing Floor 2", PROTO_A2S, 27015, 0, "KFGameSteamServer.bin.x86_64" },
	/* Minecraft Java: Server List Ping, RCON for TPS. */
	{ "minecraft", "Minecraft", PROTO_SLP, 25565, 25575, "java" },
	/* Protocols by name. */
	{ "a2s", "Valve A2S", PROTO_A2S, 27015, 0, NULL },
	{ "protocol-valve", "Valve A2S", PROTO_A2S, 27015, 0, NULL },
	{ "minecraft-slp", "Minecraft", PROTO_SLP, 25565, 25575, "java" },
};

const struct game_kind *game_kind_find(const char *id)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcasecmp(kinds[i].id, id))
			return &kinds[i];
	return NULL;
}

const char *game_kind_list(void)
{
	static char list[1024];
	if (!list[0]) {
		size_t o = 0;
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && o + 32 < sizeof list; i++)
			o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
					      kinds[i].id);
	}
	return list;
}
