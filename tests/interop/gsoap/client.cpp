// A legacy C++ client of the gateway with gSOAP (Debian: gsoap libgsoap-dev), its proxy class
// generated from nothing but the served WSDL (tests/interop/gsoap/build.sh runs wsdl2h and
// soapcpp2). It calls every operation of the WSDL once, then releases a reservation twice and
// reports the second call's fault code.
// Settings come from the environment (never argv): SOAP_USER, SOAP_PASSWORD, SOURCE_ID and
// SOAP_AUTH = basic | text | digest (HTTP Basic, or a WS-Security UsernameToken with
// PasswordText or PasswordDigest). The endpoint is the WSDL's soap:address.
// Prints one JSON object on stdout; exits non-zero if something unexpected happens.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "soapReservationGatewayProxy.h"
#include "ReservationGateway.nsmap"
#include "plugin/wsseapi.h"

namespace {

std::string env(const char *name) {
    const char *value = std::getenv(name);
    return value ? value : "";
}

// A number or a text, as the WSDL types it (xs:integer is a string in gSOAP, xs:int an int).
template <typename T> std::string text(const T *value) {
    if (!value) return "null";
    std::ostringstream out;
    out << *value;
    return out.str();
}

std::string quoted(const std::string &value) { return "\"" + value + "\""; }

template <typename T> std::string json(const T *value) {
    return value ? quoted(text(value)) : "null";
}

// --- guide: credentials ---
// Before every call: HTTP Basic (gSOAP sends it with the request) or a fresh UsernameToken
// (the gateway accepts each nonce once; the wsse plugin makes one per token).
void authenticate(ReservationGatewayProxy &proxy, const std::string &auth, const std::string &user,
                  const std::string &password) {
    if (auth == "basic") {
        proxy.soap->userid = user.c_str();
        proxy.soap->passwd = password.c_str();
        return;
    }
    soap_wsse_delete_Security(proxy.soap);
    if (auth == "digest") {
        soap_wsse_add_UsernameTokenDigest(proxy.soap, NULL, user.c_str(), password.c_str());
    } else {
        soap_wsse_add_UsernameTokenText(proxy.soap, NULL, user.c_str(), password.c_str());
    }
}
// --- end ---

int fail(ReservationGatewayProxy &proxy, const char *operation) {
    std::cerr << operation << ": ";
    proxy.soap_stream_fault(std::cerr);
    return 1;
}

}  // namespace

int main() {
    const std::string user = env("SOAP_USER"), password = env("SOAP_PASSWORD");
    const std::string source = env("SOURCE_ID"), auth = env("SOAP_AUTH");
    ReservationGatewayProxy proxy(SOAP_XML_STRICT);
    soap_register_plugin(proxy.soap, soap_wsse);
    proxy.soap->connect_timeout = proxy.soap->recv_timeout = proxy.soap->send_timeout = 30;

    ns1__GetStockLevel stockAsked;
    ns1__GetStockLevelResponse stock;
    stockAsked.itemSkuId = "RM-1002";
    stockAsked.warehouseId = "W01";
    authenticate(proxy, auth, user, password);
    if (proxy.GetStockLevel(&stockAsked, stock) != SOAP_OK) return fail(proxy, "GetStockLevel");

    ns1__GetWorkOrderReservations orderAsked;
    ns1__GetWorkOrderReservationsResponse order;
    orderAsked.workOrderId = "WO-1001";
    authenticate(proxy, auth, user, password);
    if (proxy.GetWorkOrderReservations(&orderAsked, order) != SOAP_OK)
        return fail(proxy, "GetWorkOrderReservations");
    size_t open = 0;
    const ns1__WorkOrderReservations *found = order.GetWorkOrderReservationsResult;
    for (const ns1__MaterialReservations *material : found->materials->MaterialReservations)
        if (material->reservations) open += material->reservations->Reservation.size();

    ns1__UpdateWorkOrder update;
    ns1__UpdateWorkOrderResponse updated;
    update.workOrderId = "WO-1000";
    update.recipeName = "BREAD-WHITE";
    update.batchQuantity = "300";
    soap_s2dateTime(proxy.soap, "2027-04-01T05:00:00Z", &update.plannedStart);
    authenticate(proxy, auth, user, password);
    if (proxy.UpdateWorkOrder(&update, updated) != SOAP_OK) return fail(proxy, "UpdateWorkOrder");

    ns1__Source origin;
    origin.type = ns1__SourceType__sales_USCOREorder;
    origin.id = source;
    ns1__ReservationRequest wanted;
    wanted.itemSkuId = "RM-1002";
    wanted.warehouseId = "W01";
    wanted.quantity = "1.250";
    wanted.type = "SALES";
    wanted.source = &origin;
    std::string reference = source + "-1";
    ns1__CreateReservation create;
    ns1__CreateReservationResponse created;
    create.reservation = &wanted;
    create.reference = &reference;
    authenticate(proxy, auth, user, password);
    if (proxy.CreateReservation(&create, created) != SOAP_OK)
        return fail(proxy, "CreateReservation");
    const ns1__Reservation *made = created.CreateReservationResult;

    ns1__ListReservations search;
    ns1__ListReservationsResponse page;
    enum ns1__SourceType salesOrder = ns1__SourceType__sales_USCOREorder;
    search.sourceType = &salesOrder;
    search.sourceId = &origin.id;
    authenticate(proxy, auth, user, password);
    if (proxy.ListReservations(&search, page) != SOAP_OK) return fail(proxy, "ListReservations");
    std::string listed;
    for (const ns1__Reservation *item : page.ListReservationsResult->items->Reservation)
        listed += (listed.empty() ? "" : ",") + quoted(*item->id);

    ns1__ReleaseReservation release;
    ns1__ReleaseReservationResponse released;
    release.reservationId = *made->id;
    authenticate(proxy, auth, user, password);
    if (proxy.ReleaseReservation(&release, released) != SOAP_OK)
        return fail(proxy, "ReleaseReservation");
    std::string releasedStatus =
        soap_ns1__ReservationStatus2s(proxy.soap, *released.ReleaseReservationResult->status);

    // --- guide: fault ---
    ns1__ReleaseReservationResponse again;
    authenticate(proxy, auth, user, password);
    std::string fault = "null";
    if (proxy.ReleaseReservation(&release, again) == SOAP_FAULT) {
        const char *faultcode = *soap_faultcode(proxy.soap);  // "SOAP-ENV:Client" or "SOAP-ENV:Server"
        const SOAP_ENV__Detail *detail = proxy.soap->fault->detail;
        const ns1__GatewayFault *gateway = detail ? detail->ns1__GatewayFault_ : NULL;
        fault = "{\"faultcode\":" + quoted(faultcode ? faultcode : "") +
                ",\"code\":" + (gateway ? quoted(gateway->code) : "null") + "}";
    }
    // --- end ---

    wanted.quantity = "1.250";
    std::string consumableSource = source + "-C", secondReference = source + "-2";
    origin.id = consumableSource;
    create.reference = &secondReference;
    ns1__CreateReservationResponse second;
    authenticate(proxy, auth, user, password);
    if (proxy.CreateReservation(&create, second) != SOAP_OK)
        return fail(proxy, "CreateReservation");
    std::string consumeReference = source + "-3";
    ns1__ConsumeReservation consume;
    ns1__ConsumeReservationResponse consumed;
    consume.reservationId = *second.CreateReservationResult->id;
    consume.reference = &consumeReference;
    authenticate(proxy, auth, user, password);
    if (proxy.ConsumeReservation(&consume, consumed) != SOAP_OK)
        return fail(proxy, "ConsumeReservation");
    const ns1__Consumption *consumption = consumed.ConsumeReservationResult;

    const ns1__StockLevel *level = stock.GetStockLevelResult;
    std::cout << "{\"client\":\"gSOAP\",\"soapVersion\":" << proxy.soap->version
              << ",\"stock\":{\"itemSkuId\":" << json(level->itemSkuId)
              << ",\"onHand\":" << json(level->onHand) << ",\"reserved\":" << json(level->reserved)
              << ",\"available\":" << json(level->available) << "}"
              << ",\"workOrder\":" << json(found->workOrder->id) << ",\"openReservations\":" << open
              << ",\"updated\":{\"id\":" << json(updated.UpdateWorkOrderResult->workOrder->id)
              << ",\"batchQuantity\":"
              << json(updated.UpdateWorkOrderResult->workOrder->batchQuantity) << "}"
              << ",\"created\":{\"id\":" << json(made->id) << ",\"status\":"
              << quoted(soap_ns1__ReservationStatus2s(proxy.soap, *made->status))
              << ",\"quantity\":" << json(made->quantity) << ",\"ownerId\":" << json(made->ownerId)
              << "}"
              << ",\"listed\":[" << listed << "]"
              << ",\"total\":" << json(page.ListReservationsResult->total)
              << ",\"released\":" << quoted(releasedStatus) << ",\"fault\":" << fault
              << ",\"consumed\":{\"status\":"
              << quoted(soap_ns1__ReservationStatus2s(proxy.soap, *consumption->reservation->status))
              << ",\"quantity\":" << json(consumption->transaction->quantity) << "}}" << std::endl;
    proxy.destroy();
    return 0;
}
