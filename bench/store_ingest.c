/* bench/store-ingest: samples/s through the store (batched per 1 s tick,
 * with compaction and rollups) against SQLite's own limit on this machine:
 * a bare prepared-statement insert of the same rows in one transaction.
 * Then bytes of database per host-day. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetop/store.h"

static double now_s(void)
{
	return (double)time_mono_ms() / 1000.0;
}

static long long file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int main(int argc, char **argv)
{
	int hosts = argc > 1 ? atoi(argv[1]) : 1000;
	int metrics = argc > 2 ? atoi(argv[2]) : 40;
	int ticks = argc > 3 ? atoi(argv[3]) : 180;
	const char *dir = argc > 4 ? argv[4] : "/tmp";
	char *db1 = xasprintf("%s/bench-store.db", dir), *db2 = xasprintf("%s/bench-bare.db", dir);
	unlink(db1);
	unlink(db2);
	long long total = (long long)hosts * metrics * ticks;
	int64_t base = time_wall_ms() - 3 * 3600 * 1000LL;
	base -= base % 3600000;

	/* Store path. */
	struct store *s;
	struct error err;
	if (store_open(&s, db1, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	int64_t *ids = malloc(sizeof *ids * (size_t)hosts * (size_t)metrics);
	for (int h = 0; h < hosts; h++)
		for (int m = 0; m < metrics; m++) {
			char hn[32], mn[32];
			snprintf(hn, sizeof hn, "host-%04d", h);
			snprintf(mn, sizeof mn, "metric.%02d", m);
			ids[h * metrics + m] = store_series(s, hn, mn, &err);
		}
	double t0 = now_s();
	for (int t = 0; t < ticks; t++) {
		int64_t ts = base + (int64_t)t * 1000;
		for (int i = 0; i < hosts * metrics; i++)
			store_add(s, ids[i], ts, (double)((i * 7 + t) % 1000) / 10.0, &err);
		if (store_flush_at(s, ts + 1000, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	}
	/* Close the last minutes too, as the next ticks would. */
	store_flush_at(s, base + (int64_t)ticks * 1000 + 120000, &err);
	double t_store = now_s() - t0;
	store_close(s);

	/* Bare limit: one transaction, one prepared INSERT, the same rows. */
	sqlite3 *db;
	sqlite3_open(db2, &db);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		     "CREATE TABLE recent(series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL);",
		     NULL, NULL, NULL);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO recent(series, ts, value) VALUES(?,?,?)", -1, &st, NULL);
	t0 = now_s();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (int t = 0; t < ticks; t++) {
		int64_t ts = base + (int64_t)t * 1000;
		for (int i = 0; i < hosts * metrics; i++) {
			sqlite3_bind_int64(st, 1, i + 1);
			sqlite3_bind_int64(st, 2, ts);
			sqlite3_bind_double(st, 3, (double)((i * 7 + t) % 1000) / 10.0);
			sqlite3_step(st);
			sqlite3_reset(st);
		}
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double t_bare = now_s() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* Size of each table, from SQLite's dbstat (pages in use). */
	sqlite3_open(db1, &db);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	long long raw_b = 0, m1_b = 0, h1_b = 0, m1_rows = 0, other_b = 0;
	if (sqlite3_prepare_v2(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name", -1, &st,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "dbstat not available: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		long long b = sqlite3_column_int64(st, 1);
		if (!strcmp(name, "chunk"))
			raw_b += b;
		else if (!strcmp(name, "rollup_1m"))
			m1_b += b;
		else if (!strcmp(name, "rollup_1h"))
			h1_b += b;
		else
			other_b += b;
	}
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM rollup_1m", -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		m1_rows = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	long long fbytes = file_bytes(db1);

	double store_rate = (double)total / t_store, bare_rate = (double)total / t_bare;
	double samples_per_host_day = (double)metrics * 86400.0;
	double raw_per_sample = (double)raw_b / (double)total;
	double m1_per_row = m1_rows ? (double)m1_b / (double)m1_rows : 0;
	double raw_hd = raw_per_sample * samples_per_host_day;
	double m1_hd = m1_per_row * metrics * 1440.0;
	double h1_hd = m1_per_row * metrics * 24.0; /* same row shape as 1m */
	printf("store-ingest: %d hosts x %d metrics x %d ticks of 1 s = %lld samples\n", hosts,
	       metrics, ticks, total);
	printf("  store (a transaction per tick, compaction, rollups): %.0f samples/s (%.2f s)\n",
	       store_rate, t_store);
	printf("  bare prepared INSERT, one transaction (SQLite's limit here): %.0f samples/s (%.2f s)\n",
	       bare_rate, t_bare);
	printf("  ratio store/bare: %.2f (target >= 0.50)\n", store_rate / bare_rate);
	printf("  file %lld bytes; raw chunks %.2f bytes/sample, 1m rollups %.1f bytes/row (%lld rows)\n",
	       fbytes, raw_per_sample, m1_per_row, m1_rows);
	printf("  per host-day, extrapolated from this run's bytes per sample and per rollup row\n");
	printf("  (%d metrics at 1 s): raw %.1f MB, 1m rollups %.2f MB, 1h rollups %.3f MB\n",
	       metrics, raw_hd / 1e6, m1_hd / 1e6, h1_hd / 1e6);
	printf("  bounded by default retention (raw 48 h, 1m 30 d, 1h 2 y): %.0f MB per host\n",
	       (raw_hd * 2 + m1_hd * 30 + h1_hd * 730) / 1e6);
	(void)h1_b;
	(void)other_b;
	unlink(db1);
	unlink(db2);
	free(ids);
	free(db1);
	free(db2);
	return 0;
}
