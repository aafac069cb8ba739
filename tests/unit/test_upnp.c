// SPDX-License-Identifier: GPL-2.0
/*
 * What doctor reads of a UPnP IGD (loader/upnp.c): the LOCATION of an SSDP answer, the
 * connection service of a description and its control URL, URLs, and the answer to
 * GetSpecificPortMappingEntry, found and not found. The texts are miniupnpd's (Debian's
 * 2.3.1), as tests/net/test_doctor.sh gets them from it, cut to what matters.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "upnp.h"

static const char ssdp_answer[] =
	"HTTP/1.1 200 OK\r\n"
	"CACHE-CONTROL: max-age=120\r\n"
	"ST: urn:schemas-upnp-org:service:WANIPConnection:1\r\n"
	"USN: uuid:3d3cec3a-8cf0-11e0-98ee-001a6bd2d07d::urn:schemas-upnp-org:service:WANIPConnection:1\r\n"
	"EXT:\r\n"
	"SERVER: Debian/6.18 UPnP/1.1 MiniUPnPd/2.3.1\r\n"
	"LOCATION: http://198.51.100.1:2189/rootDesc.xml\r\n"
	"\r\n";

/* Services before and after the one that holds the mappings, as miniupnpd lists them. */
static const char description[] =
	"<root><device><serviceList><service>"
	"<serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>"
	"<controlURL>/ctl/L3F</controlURL></service></serviceList><deviceList><device>"
	"<serviceList><service>"
	"<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>"
	"<controlURL>/ctl/CmnIfCfg</controlURL></service></serviceList><deviceList><device>"
	"<serviceList><service>"
	"<serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType>"
	"<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL>"
	"<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service>"
	"</serviceList></device></deviceList></device></deviceList></device></root>";

static const char mapping_found[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n\r\n"
	"<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
	"<u:GetSpecificPortMappingEntryResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">"
	"<NewInternalPort>51821</NewInternalPort><NewInternalClient>198.51.100.2</NewInternalClient>"
	"<NewEnabled>1</NewEnabled><NewPortMappingDescription></NewPortMappingDescription>"
	"<NewLeaseDuration>0</NewLeaseDuration></u:GetSpecificPortMappingEntryResponse></s:Body>"
	"</s:Envelope>";

static const char mapping_missing[] =
	"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n\r\n"
	"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault>"
	"<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
	"<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>714</errorCode>"
	"<errorDescription>NoSuchEntryInArray</errorDescription></UPnPError></detail></s:Fault>"
	"</s:Body></s:Envelope>";

TEST(upnp_ssdp_answer)
{
	char location[UPNP_URL_MAX] = "";

	CHECK_EQ(upnp_ssdp_location(ssdp_answer, location, sizeof(location)), 0, "LOCATION found");
	CHECK(!strcmp(location, "http://198.51.100.1:2189/rootDesc.xml"), "location: %s", location);
	CHECK_EQ(upnp_ssdp_location("HTTP/1.1 200 OK\r\nlocation:http://192.0.2.1/d.xml\r\n",
				    location, sizeof(location)), 0, "lower case, no space");
	CHECK(!strcmp(location, "http://192.0.2.1/d.xml"), "location: %s", location);
	CHECK_EQ(upnp_ssdp_location("HTTP/1.1 200 OK\r\nST: x\r\n\r\n", location, sizeof(location)),
		 -1, "no LOCATION");
	CHECK_EQ(upnp_ssdp_location(ssdp_answer, location, 10), -1, "a LOCATION too long to keep");
}

TEST(upnp_urls)
{
	char path[UPNP_URL_MAX];
	__be32 addr;
	__u16 port;

	CHECK_EQ(upnp_parse_url("http://198.51.100.1:2189/ctl/IPConn", &addr, &port, path,
				sizeof(path)), 0, "a URL with a port");
	CHECK_EQ(ntohl(addr), 0xc6336401, "its address");
	CHECK_EQ(port, 2189, "its port");
	CHECK(!strcmp(path, "/ctl/IPConn"), "path: %s", path);
	CHECK_EQ(upnp_parse_url("http://192.0.2.1", &addr, &port, path, sizeof(path)), 0,
		 "no port, no path");
	CHECK_EQ(port, 80, "port 80");
	CHECK(!strcmp(path, "/"), "path: %s", path);
	/* Only what a router answers with: an IPv4 address, a port 1-65535, plain http. */
	CHECK_EQ(upnp_parse_url("https://192.0.2.1/", &addr, &port, path, sizeof(path)), -1, "https");
	CHECK_EQ(upnp_parse_url("http://router.lan/", &addr, &port, path, sizeof(path)), -1, "a name");
	CHECK_EQ(upnp_parse_url("http://192.0.2.1:0/", &addr, &port, path, sizeof(path)), -1, "port 0");
	CHECK_EQ(upnp_parse_url("http://192.0.2.1:65536/", &addr, &port, path, sizeof(path)), -1,
		 "port 65536");
	CHECK_EQ(upnp_parse_url("http://192.0.2.1:+80/", &addr, &port, path, sizeof(path)), -1,
		 "a signed port");
	CHECK_EQ(upnp_parse_url("http://192.0.2.1:80x/", &addr, &port, path, sizeof(path)), -1,
		 "a port with more after it");
}

TEST(upnp_description)
{
	struct upnp_igd igd = {};

	CHECK_EQ(upnp_find_service(description, "http://198.51.100.1:2189/rootDesc.xml", &igd), 0,
		 "the WANIPConnection service");
	CHECK(!strcmp(igd.service_type, "urn:schemas-upnp-org:service:WANIPConnection:2"),
	      "service type: %s", igd.service_type);
	CHECK(!strcmp(igd.control_url, "http://198.51.100.1:2189/ctl/IPConn"),
	      "its control URL, made absolute: %s", igd.control_url);
	CHECK_EQ(upnp_find_service("<service><serviceType>urn:schemas-upnp-org:service:"
				   "WANPPPConnection:1</serviceType><controlURL>"
				   "http://192.0.2.1:5000/ppp</controlURL></service>",
				   "http://192.0.2.1/d.xml", &igd), 0, "WANPPPConnection, absolute");
	CHECK(!strcmp(igd.control_url, "http://192.0.2.1:5000/ppp"), "control URL: %s",
	      igd.control_url);
	CHECK_EQ(upnp_find_service("<service><serviceType>urn:schemas-upnp-org:service:"
				   "Layer3Forwarding:1</serviceType><controlURL>/x</controlURL>"
				   "</service>", "http://192.0.2.1/d.xml", &igd), -1,
		 "no connection service");
	/* A controlURL in the next service is not this one's. */
	CHECK_EQ(upnp_find_service("<service><serviceType>urn:schemas-upnp-org:service:"
				   "WANIPConnection:1</serviceType></service><service>"
				   "<controlURL>/other</controlURL></service>",
				   "http://192.0.2.1/d.xml", &igd), -1, "a service without control URL");
}

TEST(upnp_mapping_answer)
{
	struct upnp_mapping m;

	CHECK_EQ(upnp_parse_mapping(mapping_found, &m), 0, "a mapping");
	CHECK(m.found, "found");
	CHECK_EQ(ntohl(m.client), 0xc6336402, "its internal client");
	CHECK_EQ(m.port, 51821, "its internal port");
	CHECK(m.enabled, "enabled");
	CHECK_EQ(upnp_parse_mapping(mapping_missing, &m), 0, "no mapping");
	CHECK(!m.found, "not found");
	CHECK_EQ(m.error, UPNP_NO_SUCH_ENTRY, "error 714");
	CHECK(!strcmp(m.error_text, "NoSuchEntryInArray"), "error text: %s", m.error_text);
	CHECK_EQ(upnp_parse_mapping("HTTP/1.1 200 OK\r\n\r\n<NewInternalClient>198.51.100.2"
				    "</NewInternalClient><NewInternalPort>0</NewInternalPort>", &m),
		 -1, "port 0");
	CHECK_EQ(upnp_parse_mapping("SSH-2.0-OpenSSH\r\n", &m), -1, "not HTTP");
}
