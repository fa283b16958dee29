/* store-pg-ratings.c: recruiters' per-answer ratings (take_ratings) in
 * PostgreSQL.  See store.h (ImsRatingStoreOps) for the contracts. */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-rows.h"
#include "store-pg-tables.h"

typedef struct {
  const char *take_id;
  const char *recruiter;
  char *session_id; /* out */
  char *company_id; /* out */
} TakeOwner;

static gboolean
get_take_owner_once(ImsStorePg *self, gpointer data, GError **error)
{
  TakeOwner *owner = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, owner->take_id);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "get take owner",
      "SELECT s.id, s.company_id FROM takes t JOIN sessions s ON s.id = t.session_id WHERE t.id = $1",
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  if (PQntuples(result) == 0) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no take %s", owner->take_id);
    return FALSE;
  }
  owner->session_id = ims_pg_get_text(result, 0, 0);
  owner->company_id = ims_pg_get_text(result, 0, 1);
  return TRUE;
}

static gboolean
get_take_owner(ImsStore *store, const char *take_id, char **session_id, char **company_id,
               GError **error)
{
  TakeOwner owner = { take_id, NULL, NULL, NULL };
  if (!g_uuid_string_is_valid(take_id)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no take %s", take_id);
    return FALSE;
  }
  if (!ims_pg_run((ImsStorePg *) store, get_take_owner_once, &owner, error))
    return FALSE;
  *session_id = owner.session_id;
  *company_id = owner.company_id;
  return TRUE;
}

static gboolean
save_rating_once(ImsStorePg *self, gpointer data, GError **error)
{
  ImsTakeRating *rating = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, rating->take_id);
  ims_pg_params_add_text(&params, rating->recruiter);
  ims_pg_params_add_text(&params, rating->company_id);
  ims_pg_params_add_int(&params, rating->rating);
  ims_pg_params_add_text(&params, rating->note ? rating->note : "");
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "save rating",
      "INSERT INTO take_ratings (take_id, recruiter, company_id, rating, note)"
      " VALUES ($1, $2, $3, $4, $5)"
      " ON CONFLICT (take_id, recruiter) DO UPDATE SET company_id = $3, rating = $4, note = $5,"
      " updated_at = now()"
      " RETURNING " IMS_PG_USEC("updated_at"),
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  rating->updated_at = ims_pg_get_int(result, 0, 0);
  return TRUE;
}

static gboolean
save_rating(ImsStore *store, ImsTakeRating *rating, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, save_rating_once, rating, error);
}

static gboolean
delete_rating_once(ImsStorePg *self, gpointer data, GError **error)
{
  TakeOwner *key = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, key->take_id);
  ims_pg_params_add_text(&params, key->recruiter);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "delete rating", "DELETE FROM take_ratings WHERE take_id = $1 AND recruiter = $2",
      &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  if (g_strcmp0(PQcmdTuples(result), "0") == 0) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no rating of %s by %s",
                key->take_id, key->recruiter);
    return FALSE;
  }
  return TRUE;
}

static gboolean
delete_rating(ImsStore *store, const char *take_id, const char *recruiter, GError **error)
{
  TakeOwner key = { take_id, recruiter, NULL, NULL };
  return ims_pg_run((ImsStorePg *) store, delete_rating_once, &key, error);
}

typedef struct {
  const char *session_id;
  const char *company_id;
  GPtrArray *ratings; /* out */
} ListRatings;

static gboolean
list_session_ratings_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListRatings *list = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, list->session_id);
  ims_pg_params_add_text(&params, list->company_id);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list session ratings",
      "SELECT r.take_id, r.recruiter, r.company_id, r.rating, r.note, " IMS_PG_USEC("r.updated_at")
      " FROM take_ratings r JOIN takes t ON t.id = r.take_id"
      " WHERE t.session_id = $1 AND ($2::text IS NULL OR r.company_id = $2)"
      " ORDER BY t.question_idx, t.number, r.recruiter",
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  list->ratings = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_rating_free);
  for (int row = 0; row < PQntuples(result); row++) {
    ImsTakeRating *rating = g_new0(ImsTakeRating, 1);
    rating->take_id = ims_pg_get_text(result, row, 0);
    rating->recruiter = ims_pg_get_text(result, row, 1);
    rating->company_id = ims_pg_get_text(result, row, 2);
    rating->rating = (int) ims_pg_get_int(result, row, 3);
    rating->note = ims_pg_get_text(result, row, 4);
    rating->updated_at = ims_pg_get_int(result, row, 5);
    g_ptr_array_add(list->ratings, rating);
  }
  return TRUE;
}

static GPtrArray *
list_session_ratings(ImsStore *store, const char *session_id, const char *company_id,
                     GError **error)
{
  ListRatings list = { session_id, company_id, NULL };
  if (!g_uuid_string_is_valid(session_id))
    return g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_rating_free);
  if (!ims_pg_run((ImsStorePg *) store, list_session_ratings_once, &list, error))
    return NULL;
  return list.ratings;
}

void
ims_store_pg_ratings_init(ImsStorePg *self)
{
  self->base.ratings.get_take_owner = get_take_owner;
  self->base.ratings.save_rating = save_rating;
  self->base.ratings.delete_rating = delete_rating;
  self->base.ratings.list_session_ratings = list_session_ratings;
}
