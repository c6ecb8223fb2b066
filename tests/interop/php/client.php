<?php
// A legacy PHP client built from nothing but the gateway's WSDL URL, with PHP's own SoapClient
// (Debian: php-cli php-soap). It calls every operation of the WSDL once, then releases a
// reservation twice and reports the second call's fault code.
// Settings come from the environment (never argv): WSDL_URL, SOAP_USER, SOAP_PASSWORD,
// SOURCE_ID and SOAP_AUTH = basic | text | digest (HTTP Basic, or a WS-Security UsernameToken
// with PasswordText or PasswordDigest).
// Prints one JSON object on stdout; exits non-zero if something unexpected happens.

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const TOKEN_PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';

// --- guide: UsernameToken (docs/soap-clients.md) ---
// A WS-Security header PHP's SoapClient does not build itself; a fresh nonce per call, because
// the gateway accepts each nonce once. $digest: PasswordDigest = Base64(SHA-1(nonce + created +
// password)), else PasswordText.
function security_header(string $user, string $password, bool $digest): SoapHeader
{
    $nonce = random_bytes(16);
    $created = gmdate('Y-m-d\TH:i:s\Z');
    $type = $digest ? 'PasswordDigest' : 'PasswordText';
    $secret = $digest ? base64_encode(sha1($nonce . $created . $password, true)) : $password;
    $xml = sprintf(
        '<wsse:Security xmlns:wsse="%s" xmlns:wsu="%s" SOAP-ENV:mustUnderstand="1">'
        . '<wsse:UsernameToken><wsse:Username>%s</wsse:Username>'
        . '<wsse:Password Type="%s#%s">%s</wsse:Password>'
        . '<wsse:Nonce EncodingType="%s">%s</wsse:Nonce><wsu:Created>%s</wsu:Created>'
        . '</wsse:UsernameToken></wsse:Security>',
        WSSE, WSU, htmlspecialchars($user), TOKEN_PROFILE, $type, htmlspecialchars($secret),
        'http://docs.oasis-open.org/wss/2004/01/oasis-200401-soap-message-security-1.0#Base64Binary',
        base64_encode($nonce), $created
    );
    return new SoapHeader(WSSE, 'Security', new SoapVar($xml, XSD_ANYXML), true);
}
// --- end ---

function main(): void
{
    $url = getenv('WSDL_URL');
    $user = getenv('SOAP_USER');
    $password = getenv('SOAP_PASSWORD');
    $source = getenv('SOURCE_ID');
    $auth = getenv('SOAP_AUTH') ?: 'basic';

    // --- guide: client ---
    $options = [
        'soap_version' => SOAP_1_1,
        'exceptions' => true,
        'cache_wsdl' => WSDL_CACHE_NONE,
        // A list of one comes back as a list of one, not as the item itself.
        'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
    ];
    if ($auth === 'basic') {  // HTTP Basic, sent with the first request
        $options['login'] = $user;
        $options['password'] = $password;
    }
    $client = new SoapClient($url, $options);
    // --- end ---
    $call = function (string $operation, array $arguments) use ($client, $auth, $user, $password) {
        $headers = $auth === 'basic' ? [] : [security_header($user, $password, $auth === 'digest')];
        return $client->__soapCall($operation, [$arguments], null, $headers);
    };

    $stock = $call('GetStockLevel', ['itemSkuId' => 'RM-1002', 'warehouseId' => 'W01'])
        ->GetStockLevelResult;
    $order = $call('GetWorkOrderReservations', ['workOrderId' => 'WO-1001', 'status' => 'OPEN'])
        ->GetWorkOrderReservationsResult;
    $updated = $call('UpdateWorkOrder', [
        'workOrderId' => 'WO-1000',
        'recipeName' => 'BREAD-WHITE',
        'batchQuantity' => '300',
        'plannedStart' => '2027-04-01T05:00:00Z',
    ])->UpdateWorkOrderResult;
    $reservation = [
        'itemSkuId' => 'RM-1002', 'warehouseId' => 'W01', 'quantity' => '1.250', 'type' => 'SALES',
        'source' => ['type' => 'sales_order', 'id' => $source], 'priority' => 40,
    ];
    $created = $call('CreateReservation', ['reservation' => $reservation, 'reference' => "$source-1"])
        ->CreateReservationResult;
    $page = $call('ListReservations', ['sourceType' => 'sales_order', 'sourceId' => $source])
        ->ListReservationsResult;
    $released = $call('ReleaseReservation', ['reservationId' => $created->id])
        ->ReleaseReservationResult;
    // --- guide: fault ---
    $fault = null;
    try {
        $call('ReleaseReservation', ['reservationId' => $created->id]);
    } catch (SoapFault $error) {
        $fault = [
            'faultcode' => $error->faultcode,  // "soap11env:Client" or "soap11env:Server"
            'code' => $error->detail->GatewayFault->code,  // e.g. inventory.reservation.already_released
            'message' => $error->detail->GatewayFault->message,
        ];
    }
    // --- end ---
    $consumable = ['source' => ['type' => 'sales_order', 'id' => "$source-C"]] + $reservation;
    $second = $call('CreateReservation', ['reservation' => $consumable, 'reference' => "$source-2"])
        ->CreateReservationResult;
    $consumed = $call('ConsumeReservation', ['reservationId' => $second->id, 'reference' => "$source-3"])
        ->ConsumeReservationResult;
    // The lifecycle's operations (issue 15): extend, confirm the order, pick a part, backorders.
    $lasting = ['source' => ['type' => 'sales_order', 'id' => "$source-L"], 'quantity' => '3'] + $reservation;
    $third = $call('CreateReservation', ['reservation' => $lasting, 'reference' => "$source-4"])
        ->CreateReservationResult;
    $extended = $call('ChangeReservationExpiry', ['reservationId' => $third->id,
        'expiresAt' => '2031-06-30T16:00:00Z', 'reference' => "$source-5"])->ChangeReservationExpiryResult;
    $confirmed = $call('ChangeSourceExpiry', ['sourceType' => 'sales_order', 'sourceId' => "$source-L",
        'neverExpires' => true])->ChangeSourceExpiryResult;
    $picked = $call('ConsumeReservationPart', ['reservationId' => $third->id, 'quantity' => '1',
        'releaseRemainder' => false, 'reference' => "$source-6"])->ConsumeReservationPartResult;
    $backorders = $call('ListBackorders', ['status' => 'OPEN', 'limit' => 5])->ListBackordersResult;
    $shortages = $call('ListShortages', ['itemSkuId' => 'RM-1002', 'limit' => 5])->ListShortagesResult;
    $call('ReleaseReservation', ['reservationId' => $third->id]);

    $materials = $order->materials->MaterialReservations;
    echo json_encode([
        'client' => 'php-soapclient ' . PHP_VERSION,
        'stock' => ['itemSkuId' => $stock->itemSkuId, 'onHand' => $stock->onHand,
                    'reserved' => $stock->reserved, 'available' => $stock->available],
        'workOrder' => $order->workOrder->id,
        'materialsIsList' => is_array($materials),
        'openReservations' => array_sum(array_map(
            fn($m) => isset($m->reservations->Reservation) ? count($m->reservations->Reservation) : 0,
            $materials
        )),
        'updated' => ['id' => $updated->workOrder->id, 'batchQuantity' => $updated->workOrder->batchQuantity],
        'created' => ['id' => $created->id, 'status' => $created->status,
                      'quantity' => $created->quantity, 'ownerId' => $created->ownerId],
        'listedIsList' => is_array($page->items->Reservation),
        'listed' => array_map(fn($r) => $r->id, $page->items->Reservation),
        'total' => $page->total,
        'released' => $released->status,
        'fault' => $fault,
        'consumed' => ['status' => $consumed->reservation->status,
                       'quantity' => $consumed->transaction->quantity],
        'lifecycle' => [
            'extended' => $extended->expiresAt,
            'confirmed' => array_map(fn($r) => $r->expiresAt ?? null, $confirmed->reservations->Reservation),
            'picked' => ['status' => $picked->reservation->status, 'left' => $picked->remainingQuantity,
                         'consumed' => $picked->consumedQuantity],
            'backorderTotal' => $backorders->total,
            'shortageTotal' => $shortages->total,
        ],
    ]) . "\n";
}

try {
    main();
} catch (Throwable $error) {
    fwrite(STDERR, get_class($error) . ': ' . $error->getMessage() . "\n");
    if ($error instanceof SoapFault && isset($error->detail)) {
        fwrite(STDERR, json_encode($error->detail) . "\n");
    }
    exit(1);
}
