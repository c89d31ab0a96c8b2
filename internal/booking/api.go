package booking

import (
	_ "embed"
	"net/http"
	"strconv"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
)

// OpenAPI is Casa In's fragment of the API document: the facilities, their
// daily figures and the published draws, which madina booking verify-draw reads.
//
//go:embed openapi.json
var OpenAPI []byte

// APIRoutes registers the JSON API.
func (h *Handlers) APIRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /api/v1/booking/facilities", h.apiFacilities)
	rt.HandleErr("GET /api/v1/booking/facilities/{code}/daily", h.apiDaily)
	rt.HandleErr("GET /api/v1/booking/draws/{id}", h.apiDraw)
	rt.HandleErr("GET /api/v1/booking/rosters/{id}", h.apiRoster)
}

func (h *Handlers) apiFacilities(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.Service.Facilities(r.Context(), r.URL.Query().Get("arrondissement"))
	if err != nil {
		return err
	}
	if fs == nil {
		fs = []*Facility{}
	}
	h.Resp.JSON(w, r, http.StatusOK, fs)
	return nil
}

func (h *Handlers) apiDraw(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "booking.error.draw")
	}
	p, err := h.Service.PublishedDraw(r.Context(), id)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, p)
	return nil
}
