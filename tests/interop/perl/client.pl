#!/usr/bin/perl
# A legacy Perl client of the gateway with SOAP::Lite (Debian: libsoap-lite-perl), written as
# a Perl shop writes one: the endpoint and namespace from the WSDL, document/literal calls with
# SOAP::Lite's defaults (SOAPAction "<namespace>#<Operation>", LWP credentials that answer the
# server's Basic challenge). It calls every operation of the WSDL once, then releases a
# reservation twice and reports the second call's fault code.
# Settings come from the environment (never argv): WSDL_URL, SOAP_USER, SOAP_PASSWORD,
# SOURCE_ID and SOAP_AUTH = basic | text | digest (HTTP Basic, or a WS-Security UsernameToken
# with PasswordText or PasswordDigest).
# Prints one JSON object on stdout; exits non-zero if something unexpected happens.
use strict;
use warnings;

use Digest::SHA qw(sha1);
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use POSIX qw(strftime);
use SOAP::Lite;
use URI;

my $NS = 'urn:reservation-gateway:soap:v1';
my $WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
my $WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
my $PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';

my ($user, $password, $source) = @ENV{qw(SOAP_USER SOAP_PASSWORD SOURCE_ID)};
my $auth = $ENV{SOAP_AUTH} || 'basic';

# --- guide: client ---
my $endpoint = URI->new($ENV{WSDL_URL});
$endpoint->query(undef);    # the service address: the WSDL URL without "?wsdl"
my $soap = SOAP::Lite->proxy("$endpoint", timeout => 30)
    ->default_ns($NS)       # document/literal: the body's elements in the target namespace
    ->autotype(0);          # no xsi:type attributes
if ($auth eq 'basic') {     # LWP answers the gateway's 401 challenge with these
    $soap->transport->credentials($endpoint->host_port, 'reservation-gateway', $user, $password);
}
# --- end ---

# --- guide: UsernameToken (docs/soap-clients.md) ---
# A WS-Security header with a fresh nonce per call (the gateway accepts each nonce once).
# $digest: PasswordDigest = Base64(SHA-1(nonce . created . password)), else PasswordText.
sub security_header {
    my ($digest) = @_;
    open my $random, '<:raw', '/dev/urandom' or die "/dev/urandom: $!\n";
    read($random, my $nonce, 16) == 16 or die "/dev/urandom: short read\n";
    my $created = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime);
    my ($type, $secret) = $digest
        ? ('PasswordDigest', encode_base64(sha1($nonce . $created . $password), ''))
        : ('PasswordText', $password);
    my $token = SOAP::Data->name('wsse:UsernameToken' => \SOAP::Data->value(
        SOAP::Data->name('wsse:Username' => $user),
        SOAP::Data->name('wsse:Password' => $secret)->attr({Type => "$PROFILE#$type"}),
        SOAP::Data->name('wsse:Nonce' => encode_base64($nonce, '')),
        SOAP::Data->name('wsu:Created' => $created),
    ));
    return SOAP::Header->name('wsse:Security' => \$token)
        ->attr({'xmlns:wsse' => $WSSE, 'xmlns:wsu' => $WSU})->mustUnderstand(1);
}
# --- end ---

sub call {
    my ($operation, @arguments) = @_;
    my @parts = map { SOAP::Data->name($_->[0] => $_->[1]) } @arguments;
    push @parts, security_header($auth eq 'digest') if $auth ne 'basic';
    my $som = $soap->call($operation => @parts);
    die "$operation: " . $soap->transport->status . "\n" unless defined $som;
    return $som;
}

sub result_of {
    my ($operation, @arguments) = @_;
    my $som = call($operation, @arguments);
    die "$operation: fault " . $som->faultcode . ' ' . $som->faultstring . "\n" if $som->fault;
    return $som;
}

sub nested { my @fields = @_; return \SOAP::Data->value(map { SOAP::Data->name(@$_) } @fields) }

my $stock = result_of('GetStockLevel', [itemSkuId => 'RM-1002'], [warehouseId => 'W01'])
    ->valueof('//GetStockLevelResult');
# --- guide: lists ---
# One item or many: valueof() in list context returns every match, so a list of one is a list.
my $order = result_of('GetWorkOrderReservations', [workOrderId => 'WO-1001'], [status => 'OPEN']);
my @materials = $order->valueof('//GetWorkOrderReservationsResult/materials/MaterialReservations');
my @open = $order->valueof('//MaterialReservations/reservations/Reservation');
# --- end ---
my $updated = result_of(
    'UpdateWorkOrder',
    [workOrderId => 'WO-1000'], [recipeName => 'BREAD-WHITE'], [batchQuantity => '300'],
    [plannedStart => '2027-04-01T05:00:00Z'],
)->valueof('//UpdateWorkOrderResult/workOrder');

sub reservation {
    my ($id) = @_;
    return nested(
        [itemSkuId => 'RM-1002'], [warehouseId => 'W01'], [quantity => '1.250'], [type => 'SALES'],
        [source => nested([type => 'sales_order'], [id => $id])], [priority => 40],
    );
}
my $created = result_of('CreateReservation', [reservation => reservation($source)],
    [reference => "$source-1"])->valueof('//CreateReservationResult');
my $page = result_of('ListReservations', [sourceType => 'sales_order'], [sourceId => $source]);
my @listed = $page->valueof('//ListReservationsResult/items/Reservation');
my $single = $page->valueof('//ListReservationsResult')->{items}{Reservation};
my $released = result_of('ReleaseReservation', [reservationId => $created->{id}])
    ->valueof('//ReleaseReservationResult');
# --- guide: fault ---
my $again = call('ReleaseReservation', [reservationId => $created->{id}]);
my $fault = $again->fault && {
    faultcode => $again->faultcode,                       # "soap11env:Client" or "...:Server"
    code => $again->faultdetail->{GatewayFault}{code},    # inventory.reservation.already_released
    message => $again->faultdetail->{GatewayFault}{message},
};
# --- end ---
my $second = result_of('CreateReservation', [reservation => reservation("$source-C")],
    [reference => "$source-2"])->valueof('//CreateReservationResult');
my $consumed = result_of('ConsumeReservation', [reservationId => $second->{id}],
    [reference => "$source-3"])->valueof('//ConsumeReservationResult');

print JSON::PP->new->canonical->encode({
    client => "SOAP::Lite $SOAP::Lite::VERSION",
    stock => {map { $_ => $stock->{$_} } qw(itemSkuId onHand reserved available)},
    workOrder => $order->valueof('//GetWorkOrderReservationsResult/workOrder/id'),
    materials => scalar @materials,
    openReservations => scalar @open,
    updated => {id => $updated->{id}, batchQuantity => $updated->{batchQuantity}},
    created => {map { $_ => $created->{$_} } qw(id status quantity ownerId)},
    listed => [map { $_->{id} } @listed],
    singleIsHash => (ref $single eq "HASH" ? JSON::PP::true : JSON::PP::false),
    total => $page->valueof('//ListReservationsResult/total'),
    released => $released->{status},
    fault => $fault || undef,
    consumed => {status => $consumed->{reservation}{status},
                 quantity => $consumed->{transaction}{quantity}},
}), "\n";
