/* pg-connection.c: the connection under the PostgreSQL store: connect
 * (application_name=imsd, a statement timeout on every statement, a connect
 * timeout), statement parameters, running a statement, and running one store
 * call with at most one reconnect (pg-connection.h).
 *
 * Only parameterized statements (PQexecParams) touch input.  Timestamps cross
 * the seam as unix microseconds: they are written as exact ISO-8601 text and
 * read back with extract(epoch) (a numeric, so exact too); 0 is NULL.
 */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-connection.h"

#define IMS_STORE_PG_STATEMENT_TIMEOUT_MS 5000
#define IMS_STORE_PG_CONNECT_TIMEOUT_S "5"

void
ims_pg_params_init(ImsPgParams *params)
{
  params->count = 0;
  params->owned = g_ptr_array_new_with_free_func(g_free);
}

void
ims_pg_params_clear(ImsPgParams *params)
{
  g_clear_pointer(&params->owned, g_ptr_array_unref);
}

void
ims_pg_params_add_text(ImsPgParams *params, const char *text)
{
  g_assert(params->count < (int) G_N_ELEMENTS(params->values));
  params->values[params->count++] = text;
}

void
ims_pg_params_add_owned(ImsPgParams *params, char *text)
{
  if (text != NULL)
    g_ptr_array_add(params->owned, text);
  ims_pg_params_add_text(params, text);
}

void
ims_pg_params_add_int(ImsPgParams *params, gint64 value)
{
  ims_pg_params_add_owned(params, g_strdup_printf("%" G_GINT64_FORMAT, value));
}

/* Adds unix microseconds as exact timestamptz text, or NULL for 0. */
void
ims_pg_params_add_time(ImsPgParams *params, gint64 usec)
{
  if (usec == 0) {
    ims_pg_params_add_text(params, NULL);
    return;
  }
  gint64 seconds = usec / G_USEC_PER_SEC;
  gint64 fraction = usec % G_USEC_PER_SEC;
  if (fraction < 0) {
    fraction += G_USEC_PER_SEC;
    seconds--;
  }
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(seconds);
  if (time == NULL) { /* outside years 1..9999: let the server reject it */
    ims_pg_params_add_owned(params, g_strdup("invalid"));
    return;
  }
  g_autofree char *base = g_date_time_format(time, "%Y-%m-%d %H:%M:%S");
  ims_pg_params_add_owned(params, g_strdup_printf("%s.%06" G_GINT64_FORMAT "+00", base, fraction));
}

char *
ims_pg_get_text(const PGresult *result, int row, int column)
{
  if (PQgetisnull(result, row, column))
    return NULL;
  return g_strdup(PQgetvalue(result, row, column));
}

gint64
ims_pg_get_int(const PGresult *result, int row, int column)
{
  if (PQgetisnull(result, row, column))
    return 0;
  return g_ascii_strtoll(PQgetvalue(result, row, column), NULL, 10);
}

/* Sets error from a failed result (or the connection when result is NULL),
 * prefixed by what.  Unique violations become CONFLICT, foreign key
 * violations NOT_FOUND (the session or question referred to is missing), a
 * broken connection CONNECT, anything else QUERY. */
void
ims_pg_set_error(ImsStorePg *self, const PGresult *result, const char *what, GError **error)
{
  const char *sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
  const char *message = result ? PQresultErrorMessage(result) : "";
  if (message == NULL || *message == '\0')
    message = PQerrorMessage(self->conn);
  g_autofree char *trimmed = g_strstrip(g_strdup(message));
  int code = IMS_STORE_ERROR_QUERY;
  if (g_strcmp0(sqlstate, "23505") == 0)
    code = IMS_STORE_ERROR_CONFLICT;
  else if (g_strcmp0(sqlstate, "23503") == 0)
    code = IMS_STORE_ERROR_NOT_FOUND;
  else if (PQstatus(self->conn) != CONNECTION_OK ||
           (sqlstate && (g_str_has_prefix(sqlstate, "08") || g_str_has_prefix(sqlstate, "57P"))))
    code = IMS_STORE_ERROR_CONNECT; /* broken, or the server is shutting down */
  g_set_error(error, IMS_STORE_ERROR, code, "%s: %s", what, trimmed);
}

/* Runs one parameterized statement.  Returns its result if its status is
 * expected (PGRES_COMMAND_OK or PGRES_TUPLES_OK), else NULL with error.
 * Transfer full. */
PGresult *
ims_pg_exec(ImsStorePg *self, const char *what, const char *sql, const ImsPgParams *params,
            ExecStatusType expected, GError **error)
{
  PGresult *result = PQexecParams(self->conn, sql, params ? params->count : 0, NULL,
                                  params ? params->values : NULL, NULL, NULL, 0);
  if (result != NULL && PQresultStatus(result) == expected)
    return result;
  ims_pg_set_error(self, result, what, error);
  PQclear(result);
  return NULL;
}

/* Runs a statement without parameters or result rows (BEGIN, COMMIT...). */
gboolean
ims_pg_command(ImsStorePg *self, const char *sql, GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, sql, sql, NULL, PGRES_COMMAND_OK, error);
  return result != NULL;
}

/* Rolls back the open transaction, if the connection still works; used on
 * failure paths, so its own errors are only logged. */
void
ims_pg_rollback(ImsStorePg *self)
{
  if (PQstatus(self->conn) != CONNECTION_OK)
    return;
  g_autoptr(GError) error = NULL;
  if (!ims_pg_command(self, "ROLLBACK", &error))
    g_warning("%s", error->message);
}

static void
ims_pg_notice(void *data, const char *message)
{
  g_debug("server: %s", message);
}

/* Connects with conninfo plus application_name=imsd, UTF-8 and the statement
 * timeout (appended to any server options the conninfo or PGOPTIONS give).
 * Returns the connection or NULL with a CONNECT error.  Transfer full. */
PGconn *
ims_pg_connect(const char *conninfo, GError **error)
{
  char *parse_error = NULL;
  PQconninfoOption *options = PQconninfoParse(conninfo, &parse_error);
  if (options == NULL) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "invalid conninfo: %s",
                parse_error ? g_strstrip(parse_error) : "out of memory");
    PQfreemem(parse_error);
    return NULL;
  }
  g_autoptr(GPtrArray) keywords = g_ptr_array_new();
  g_autoptr(GPtrArray) values = g_ptr_array_new();
  const char *server_options = NULL;
  gboolean has_encoding = FALSE, has_connect_timeout = FALSE;
  for (const PQconninfoOption *option = options; option->keyword != NULL; option++) {
    if (option->val == NULL || *option->val == '\0' ||
        g_str_equal(option->keyword, "application_name"))
      continue;
    if (g_str_equal(option->keyword, "options")) {
      server_options = option->val;
      continue;
    }
    has_encoding |= g_str_equal(option->keyword, "client_encoding");
    has_connect_timeout |= g_str_equal(option->keyword, "connect_timeout");
    g_ptr_array_add(keywords, option->keyword);
    g_ptr_array_add(values, option->val);
  }
  if (server_options == NULL)
    server_options = g_getenv("PGOPTIONS");
  g_autofree char *all_options = g_strdup_printf(
      "%s%s-c statement_timeout=%d", server_options ? server_options : "",
      server_options ? " " : "", IMS_STORE_PG_STATEMENT_TIMEOUT_MS);
  g_ptr_array_add(keywords, (char *) "application_name");
  g_ptr_array_add(values, (char *) "imsd");
  g_ptr_array_add(keywords, (char *) "options");
  g_ptr_array_add(values, all_options);
  if (!has_encoding) {
    g_ptr_array_add(keywords, (char *) "client_encoding");
    g_ptr_array_add(values, (char *) "UTF8");
  }
  if (!has_connect_timeout) { /* a connect (or PQreset) waits this long at most */
    g_ptr_array_add(keywords, (char *) "connect_timeout");
    g_ptr_array_add(values, (char *) IMS_STORE_PG_CONNECT_TIMEOUT_S);
  }
  g_ptr_array_add(keywords, NULL);
  g_ptr_array_add(values, NULL);

  PGconn *conn = PQconnectdbParams((const char *const *) keywords->pdata,
                                   (const char *const *) values->pdata, 0);
  PQconninfoFree(options);
  if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
    g_autofree char *message = g_strstrip(g_strdup(conn ? PQerrorMessage(conn) : "out of memory"));
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "cannot connect to PostgreSQL: %s",
                message);
    PQfinish(conn);
    return NULL;
  }
  PQsetNoticeProcessor(conn, ims_pg_notice, NULL);
  return conn;
}

/* Runs operation, resetting the connection once (and retrying) if it is or
 * turns out to be broken.  At most one PQreset per call. */
gboolean
ims_pg_run(ImsStorePg *self, ImsPgOperation operation, gpointer data, GError **error)
{
  gboolean was_reset = FALSE;
  g_autoptr(GError) local = NULL;
  if (self->in_transaction) /* a reset would lose the transaction: fail instead */
    return operation(self, data, error);
  for (;;) {
    if (PQstatus(self->conn) != CONNECTION_OK) {
      if (was_reset)
        break;
      g_message("connection to PostgreSQL lost%s%s; reconnecting", local ? ": " : "",
                local ? local->message : "");
      PQreset(self->conn);
      was_reset = TRUE;
      if (PQstatus(self->conn) != CONNECTION_OK) {
        g_autofree char *message = g_strstrip(g_strdup(PQerrorMessage(self->conn)));
        g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT,
                    "cannot reconnect to PostgreSQL: %s", message);
        return FALSE;
      }
    }
    g_clear_error(&local);
    if (operation(self, data, &local))
      return TRUE;
    if (PQstatus(self->conn) == CONNECTION_OK || was_reset)
      break;
  }
  g_propagate_error(error, g_steal_pointer(&local));
  return FALSE;
}

/* Runs an UPDATE whose params are ready; NOT_FOUND if it changed no row. */
gboolean
ims_pg_update_one(ImsStorePg *self, const char *what, const char *sql, const ImsPgParams *params,
                  const char *id, GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, what, sql, params, PGRES_COMMAND_OK, error);
  if (result == NULL)
    return FALSE;
  if (g_str_equal(PQcmdTuples(result), "0")) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "%s: no row with id %s", what,
                id);
    return FALSE;
  }
  return TRUE;
}
