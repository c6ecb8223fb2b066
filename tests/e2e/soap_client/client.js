// A legacy client built from nothing but the gateway's WSDL URL, with the npm `soap` package:
// create, list and release a reservation, then release it again and report the fault's code.
// Settings come from the environment (never argv): WSDL_URL, SOAP_USER, SOAP_PASSWORD, SOURCE_ID.
// Prints one JSON object on stdout; exits non-zero if something unexpected happens.
'use strict';

const soap = require('soap');

const GATEWAY_NS = 'urn:reservation-gateway:soap:v1';

function faultOf(error) {
  const fault = error && error.root && error.root.Envelope && error.root.Envelope.Body.Fault;
  if (!fault) throw error;
  const detail = fault.detail && fault.detail.GatewayFault;
  return { faultcode: fault.faultcode, code: detail && detail.code, message: detail && detail.message };
}

async function main() {
  const { WSDL_URL, SOAP_USER, SOAP_PASSWORD, SOURCE_ID } = process.env;
  const client = await soap.createClientAsync(WSDL_URL);
  client.setSecurity(new soap.WSSecurity(SOAP_USER, SOAP_PASSWORD, {
    passwordType: 'PasswordDigest', hasNonce: true, hasTimeStamp: false, mustUnderstand: true,
  }));
  const reservation = {
    itemSkuId: 'RM-1002', warehouseId: 'W01', quantity: '2.250', type: 'SALES',
    source: { type: 'sales_order', id: SOURCE_ID }, priority: 70,
    expiresAt: new Date(Date.now() + 86400000).toISOString(),
  };
  const [created] = await client.CreateReservationAsync({ reservation, reference: `${SOURCE_ID}-1` });
  const [page] = await client.ListReservationsAsync({ sourceType: 'sales_order', sourceId: SOURCE_ID });
  const [released] = await client.ReleaseReservationAsync({ reservationId: created.CreateReservationResult.id });
  let fault = null;
  try {
    await client.ReleaseReservationAsync({ reservationId: created.CreateReservationResult.id });
  } catch (error) {
    fault = faultOf(error);
  }
  const items = page.ListReservationsResult.items ? page.ListReservationsResult.items.Reservation : [];
  process.stdout.write(JSON.stringify({
    namespace: GATEWAY_NS,
    created: created.CreateReservationResult,
    listed: (Array.isArray(items) ? items : [items]).map((r) => r.id),
    released: released.ReleaseReservationResult.status,
    fault,
  }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
